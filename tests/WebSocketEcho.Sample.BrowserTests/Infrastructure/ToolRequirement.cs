namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// What a test does when an outside program it needs (a browser, nginx) is missing: skip with the reason on a
/// developer's machine, fail when the program's <c>WSE_REQUIRE_*</c> variable is <c>1</c> or <c>true</c>. CI
/// (<c>.ci/run</c>) sets them, so a missing program there can never pass unnoticed as a skip.
/// </summary>
internal static class ToolRequirement
{
    /// <summary>Reads a <c>WSE_REQUIRE_*</c> value: <c>1</c> or <c>true</c> (any case) require the program.</summary>
    public static bool IsRequiredBy(string? value) =>
        value?.Trim() is { } text && (text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Ends the current test: a skip with <paramref name="reason"/>, or a failure when <paramref name="variableName"/> requires the program.</summary>
    public static void Unavailable(string variableName, string program, string reason)
    {
        if (IsRequiredBy(Environment.GetEnvironmentVariable(variableName)))
        {
            Assert.Fail($"{reason}. {variableName}=1 is set, so a missing {program} fails instead of skipping.");
        }

        Assert.Skip(reason);
    }
}
