using BenchmarkDotNet.Running;

namespace WebSocketEcho.Benchmarks.Micro;

/// <summary>The <c>micro</c> mode: BenchmarkDotNet with its own command line (<c>--filter</c>, <c>--job short</c>, <c>--inProcess</c>...).</summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        var arguments = args.Any(a => a.StartsWith("--filter", StringComparison.Ordinal) || a == "-f") ? args : [.. args, "--filter", "*"];
        var summaries = BenchmarkSwitcher.FromTypes([typeof(PerMessageBenchmarks)]).Run(arguments);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
