namespace WebSocketEcho.Benchmarks.Load;

/// <summary>Parses a runner's options; a bad command line prints the problem and the usage.</summary>
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
}
