using System.Diagnostics;
using System.Globalization;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// Runs the load comparison: for each runtime configuration and round, a fresh docs-loop server and a fresh sample
/// server (interleaved), each driven by this process's raw-socket client; then the Markdown report.
/// </summary>
internal static class LoadRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (RunnerCommandLine.Parse(() => RunOptions.Parse(args), RunOptions.Usage) is not { } options)
        {
            return 2;
        }

        var environment = BenchEnvironment.PrepareLoadClient((ulong)(options.IdleConnections + options.ActiveConnections));
        environment.Candidate = options.Candidate;
        Console.WriteLine($"Sample: {environment.SampleDll}");

        // Every run is bounded: a hung server cannot hold CI (each scenario also has its own deadlines).
        var scenarioCount = options.Runs("memory") ? 6 : 5;
        var budget = TimeSpan.FromMinutes(5 + (options.Configs.Count * options.Rounds * scenarioCount * (options.Warmup + options.Duration + TimeSpan.FromSeconds(40)).TotalMinutes));
        using var deadline = new CancellationTokenSource(budget);

        var results = new List<RoundResult>();
        var clock = Stopwatch.StartNew();
        var stage = "start";
        try
        {
            foreach (var config in options.Configs)
            {
                var variables = options.VariablesFor(config);
                for (var round = 1; round <= options.Rounds; round++)
                {
                    foreach (var kind in new[] { ServerKind.Baseline, ServerKind.Sample })
                    {
                        stage = $"[{config} round {round}] {kind} server, echo and handshake runs";
                        await RunThroughputAsync(kind, config, round, variables, options, environment, results, deadline.Token);
                    }

                    if (options.Runs("memory"))
                    {
                        foreach (var kind in new[] { ServerKind.Baseline, ServerKind.Sample })
                        {
                            stage = $"[{config} round {round}] {kind} server, idle-memory run";
                            await RunMemoryAsync(kind, config, round, variables, options, environment, results, deadline.Token);
                        }
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
            // A server that did not start, exited, or answered a connection's first echo wrongly: nothing to report on.
            Console.Error.WriteLine($"FAILED: {stage}: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }
        finally
        {
            ServerProcess.KillAll();
        }

        var report = new ResultsReport(results, options, environment).ToMarkdown(clock.Elapsed);
        var path = options.OutputPath ?? Path.Combine(environment.RepositoryRoot, "artifacts", "benchmarks", $"load-{string.Join('+', options.Configs)}{(options.Candidate == "sample" ? string.Empty : "-" + options.Candidate)}{(options.Quick ? "-quick" : string.Empty)}.md");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, report);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"Report written to {path}");
        return ReportFailures(results);
    }

    /// <summary>
    /// Any error in any run (a wrong or missing reply, a stuck round trip, a dropped idle connection, on either server)
    /// fails the whole run: one line per run that had errors, and exit code 1. Performance targets are reported, not
    /// enforced (machines are noisy); correctness is enforced.
    /// </summary>
    private static int ReportFailures(List<RoundResult> results) =>
        RunnerCommandLine.ReportFailures(
            results,
            r => r.Measurement,
            r => $"[{r.Config} round {r.Round}] {r.Server} server, {r.Measurement.Scenario}",
            "every reply of every run was the expected echo; no timeouts, no dropped connections.",
            "load");

    private static async Task RunThroughputAsync(
        ServerKind kind, string config, int round, Dictionary<string, string> variables, RunOptions options, BenchEnvironment environment, List<RoundResult> results, CancellationToken cancellationToken)
    {
        var echoes = new (string Key, int Connections, int Size)[] { ("echo1", 1, 32), ("echo64", 64, 32), ("echo1000", 1000, 32), ("echo16k", 64, 16 * 1024) }
            .Where(e => options.Runs(e.Key))
            .ToList();
        if (echoes.Count == 0 && !options.Runs("handshakes"))
        {
            return;
        }

        await using var server = await ServerProcess.StartAsync(kind, environment, variables, cancellationToken);
        var scenarios = new LoadScenarios(server, environment);
        Record(results, config, kind, round, await scenarios.WarmUpAsync(options.Warmup + options.Warmup, cancellationToken), server);
        foreach (var (key, connections, size) in echoes)
        {
            var measurement = await scenarios.EchoAsync(key, connections, size, options.Warmup, options.Duration, cancellationToken);
            Record(results, config, kind, round, measurement, server);
        }

        if (options.Runs("handshakes"))
        {
            var measurement = await scenarios.HandshakesAsync("handshakes", options.HandshakeWorkers, options.Warmup, options.Duration, cancellationToken);
            Record(results, config, kind, round, measurement, server);
        }
    }

    private static async Task RunMemoryAsync(
        ServerKind kind, string config, int round, Dictionary<string, string> variables, RunOptions options, BenchEnvironment environment, List<RoundResult> results, CancellationToken cancellationToken)
    {
        await using var server = await ServerProcess.StartAsync(kind, environment, variables, cancellationToken);
        var scenarios = new LoadScenarios(server, environment);
        var measurement = await scenarios.IdleMemoryAsync("memory", "mixed", options.IdleConnections, options.ActiveConnections, options.Warmup + options.Warmup, options.Duration, cancellationToken);
        Record(results, config, kind, round, measurement, server);
    }

    private static void Record(List<RoundResult> results, string config, ServerKind kind, int round, Measurement measurement, ServerProcess server)
    {
        results.Add(new RoundResult(config, kind, round, measurement));
        var values = string.Join(", ", measurement.Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:0.#}")));
        Console.WriteLine($"[{config} round {round}] {kind,-8} {(values.Length == 0 ? measurement.Scenario : values)}; errors {measurement.Errors}{(measurement.ErrorDetail is { } d ? $" ({d})" : string.Empty)}");
        if (server.HasExited)
        {
            throw new InvalidOperationException($"The {kind} server exited during {measurement.Scenario}:{Environment.NewLine}{server.RecentOutput}");
        }
    }
}
