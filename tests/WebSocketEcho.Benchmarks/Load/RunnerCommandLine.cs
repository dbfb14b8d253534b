namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// Parses a runner's options (a bad command line prints the problem and the usage) and gives its verdict (any error in
/// any run fails the whole run).
/// </summary>
internal static class RunnerCommandLine
{
    /// <summary>Returns the parsed options, or null (exit code 2) after printing what is wrong and <paramref name="usage"/>.</summary>
    public static T? Parse<T>(Func<T> parse, string usage)
        where T : class
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(usage);
            return null;
        }
    }

    /// <summary>
    /// Prints <paramref name="passed"/> (exit code 0) when no run had errors; otherwise one FAILED line per run that had
    /// errors (<paramref name="label"/> names it) and a total, and returns exit code 1.
    /// </summary>
    public static int ReportFailures<T>(IEnumerable<T> results, Func<T, Measurement> measurement, Func<T, string> label, string passed, string runName)
    {
        var failed = results.Where(r => measurement(r).Errors > 0).ToList();
        if (failed.Count == 0)
        {
            Console.WriteLine($"PASSED: {passed}");
            return 0;
        }

        foreach (var r in failed)
        {
            Console.Error.WriteLine($"FAILED: {label(r)}: {measurement(r).Errors} error(s), first: {measurement(r).ErrorDetail}");
        }

        Console.Error.WriteLine($"FAILED: {failed.Sum(r => measurement(r).Errors)} error(s) in {failed.Count} run(s); the {runName} run fails.");
        return 1;
    }
}
