namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// What a browser test does when no browser can be used: skip with the reason on a developer's machine, fail in CI.
/// CI (<c>.ci/run</c>) sets <c>WSE_REQUIRE_BROWSER=1</c>, so a browser missing there can never pass unnoticed as a skip.
/// </summary>
internal static class BrowserRequirement
{
    public const string VariableName = "WSE_REQUIRE_BROWSER";

    /// <summary>Reads a value of <c>WSE_REQUIRE_BROWSER</c>: <c>1</c> or <c>true</c> (any case) require the browser.</summary>
    public static bool IsRequiredBy(string? value) => ToolRequirement.IsRequiredBy(value);

    /// <summary>Ends the current test: a skip with <paramref name="reason"/>, or a failure when the browser is required.</summary>
    public static void Unavailable(string reason) => ToolRequirement.Unavailable(VariableName, "browser", reason);
}
