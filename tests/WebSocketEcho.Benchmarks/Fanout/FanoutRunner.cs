using System.Diagnostics;
using System.Globalization;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>One measurement of one fan-out server at one connection count in one round.</summary>
internal sealed record FanoutResult(FanoutServerKind Server, int Connections, int Round, Measurement Measurement);

/// <summary>
/// Runs the fan-out comparison (<c>fanout</c> mode): for each round and connection count, a fresh SignalR server and a
/// fresh middleware server (which goes first alternates by round), each measured by <see cref="FanoutScenario"/> from
/// this process on the other core; then the Markdown report. Any error fails the run (exit code 1).
/// </summary>
internal static class FanoutRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (RunnerCommandLine.Parse(() => FanoutOptions.Parse(args), FanoutOptions.Usage) is not { } options)
        {
            return 2;
        }

        var environment = BenchEnvironment.PrepareLoadClient((ulong)options.ConnectionCounts.Max());
        Console.WriteLine($"Load before the run: {LoadAverage()}");

        var perServer = options.Warmup.TotalSeconds * options.Sizes.Count + ((options.BurstDuration + options.PacedDuration).TotalSeconds * options.Sizes.Count) + 60;
        var budget = TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(options.Rounds * options.Kinds.Count * options.ConnectionCounts.Sum(n => perServer + (n / 200.0)) * 2);
        using var deadline = new CancellationTokenSource(budget);
        var variables = options.Variables();
        var results = new List<FanoutResult>();
        var clock = Stopwatch.StartNew();
        var stage = "start";
        try
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var connections in options.ConnectionCounts)
                {
                    var order = round % 2 == 1 ? options.Kinds : Enumerable.Reverse(options.Kinds).ToList();
                    foreach (var kind in order)
                    {
                        stage = string.Create(CultureInfo.InvariantCulture, $"[round {round}] {kind}, {connections:N0} connections");
                        var measurement = await new FanoutScenario(kind, connections, options, environment).RunAsync(variables, deadline.Token);
                        if (LoadAverage1() is { } load)
                        {
                            measurement.Add(FanoutScenario.LoadAverage, load);
                        }

                        results.Add(new FanoutResult(kind, connections, round, measurement));
                        Print(stage, measurement);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Console.Error.WriteLine($"FAILED: the run did not finish within its {budget.TotalMinutes:0} min budget ({stage}).");
            return 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"FAILED: {stage}: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }
        finally
        {
            ServerProcess.KillAll();
        }

        var report = new FanoutReport(results, options, environment, LoadAverage()).ToMarkdown(clock.Elapsed, args);
        var path = options.OutputPath ?? Path.Combine(environment.RepositoryRoot, "artifacts", "benchmarks", options.Mode == "full" ? "fanout.md" : $"fanout-{options.Mode.Replace("full-", string.Empty, StringComparison.Ordinal)}.md");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, report);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"Report written to {path}");
        return ReportFailures(results);
    }

    /// <summary>The 1-minute load average, or null where there is none.</summary>
    public static double? LoadAverage1() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;

    /// <summary>The load average (1, 5, 15 min), to judge how quiet the shared machine was.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static void Print(string stage, Measurement measurement)
    {
        var values = string.Join(", ", measurement.Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:0.#}")));
        Console.WriteLine($"{stage}: {values}; errors {measurement.Errors}{(measurement.ErrorDetail is { } d ? $" ({d})" : string.Empty)}");
    }

    private static int ReportFailures(List<FanoutResult> results) =>
        RunnerCommandLine.ReportFailures(
            results,
            r => r.Measurement,
            r => $"[round {r.Round}] {r.Server}, {r.Connections} connections",
            "every connection got every message once, in order and intact; no connection dropped.",
            "fan-out");
}
