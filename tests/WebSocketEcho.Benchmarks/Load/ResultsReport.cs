using System.Globalization;
using System.Text;
using WebSocketEcho.Sample;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>One measurement of one server in one round under one runtime configuration.</summary>
internal sealed record RoundResult(string Config, ServerKind Server, int Round, Measurement Measurement);

/// <summary>Turns the rounds into Markdown: medians per server, the middleware's ratio to the docs loop, the targets.</summary>
internal sealed class ResultsReport
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    private readonly List<RoundResult> _results;
    private readonly RunOptions _options;
    private readonly BenchEnvironment _environment;

    public ResultsReport(List<RoundResult> results, RunOptions options, BenchEnvironment environment)
    {
        _results = results;
        _options = options;
        _environment = environment;
    }

    public string ToMarkdown(TimeSpan elapsed)
    {
        var idle = _options.IdleConnections.ToString("N0", s_invariant);
        var active = _options.ActiveConnections.ToString("N0", s_invariant);
        var rows = new List<Row>
        {
            new("echo1", "Echo msgs/s, 1 connection, 32 B", true, 1.0, Count),
            new("echo64", "Echo msgs/s, 64 connections, 32 B", true, 1.2, Count),
            new("echo1000", "Echo msgs/s, 1,000 connections, 32 B", true, 1.2, Count),
            new("echo16k", "Echo msgs/s, 64 connections, 16 KiB", true, 1.0, Count),
            new("handshakes", "Handshakes/s (open + 1 echo + close)", true, 1.0, Count),
            new("memory", $"Server memory per idle connection, {idle} connections (KiB)", false, 0.5, v => (v / 1024).ToString("0.0", s_invariant)),
            new("mixed", $"Echo msgs/s, {active} active next to {idle} idle", true, null, Count),
            new("echo1 p50", "Round trip p50, 1 connection (µs)", false, null, Micro),
            new("echo1 p99", "Round trip p99, 1 connection (µs)", false, null, Micro),
            new("echo64 p50", "Round trip p50, 64 connections (µs)", false, null, Micro),
            new("echo64 p99", "Round trip p99, 64 connections (µs)", false, null, Micro),
            new("echo1000 p50", "Round trip p50, 1,000 connections (µs)", false, null, Micro),
            new("echo1000 p99", "Round trip p99, 1,000 connections (µs)", false, null, Micro),
            new("echo16k p50", "Round trip p50, 64 × 16 KiB (µs)", false, null, Micro),
            new("echo16k p99", "Round trip p99, 64 × 16 KiB (µs)", false, null, Micro),
            new("mixed p99", $"Round trip p99, {active} active next to {idle} idle (µs)", false, null, Micro),
        };

        var text = new StringBuilder();
        var headline = _options.Configs[0];
        var candidate = _options.CandidateLabel;
        var compared = _options.Candidate switch
        {
            "sample" => "WebSocketEcho.Middleware (sample)",
            "garble" => "the garbling loop (the runner's self-test: it must fail)",
            _ => $"the {candidate.ToLowerInvariant()} (calibration)",
        };
        text.AppendLine(s_invariant, $"### Load: docs loop vs. {compared}, runtime configuration `{headline}`");
        text.AppendLine();
        text.AppendLine(s_invariant, $"- Machine: {_environment.DescribeMachine()}.");
        text.AppendLine(s_invariant, $"- Run: {(_options.Quick ? "quick" : "full")}, {_options.Rounds} interleaved round(s) (docs loop, sample, docs loop, sample...), {_options.Duration.TotalSeconds:0.#} s measured after {_options.Warmup.TotalSeconds:0.#} s warm-up per run; medians; ratio = {candidate.ToLowerInvariant()} / docs loop; {elapsed.TotalMinutes:0.0} min in all.");
        text.AppendLine(s_invariant, $"- Both servers: same host (`WebApplication.CreateSlimBuilder`), Release, each app's own runtimeconfig (Server GC requested, invariant globalization); reply `\"Received:  \" + message`. Socket completions: {DescribeSocketCompletions(headline)}{DescribeVariables(headline)}.");
        text.AppendLine();
        text.AppendLine(s_invariant, $"| Measurement | Docs loop | {candidate} | Ratio | Target |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- |");
        foreach (var row in rows)
        {
            var baseline = Median(headline, ServerKind.Baseline, row.Key);
            var sample = Median(headline, ServerKind.Sample, row.Key);
            if (baseline is null && sample is null)
            {
                continue;
            }

            var ratio = baseline is > 0 && sample is not null ? sample.Value / baseline.Value : (double?)null;
            var target = row.Target is { } t
                ? $"{(row.HigherIsBetter ? ">=" : "<=")} {t:0.0#}x {(ratio is { } r ? ((row.HigherIsBetter ? r >= t : r <= t) ? "met" : "**missed**") : string.Empty)}"
                : string.Empty;
            text.AppendLine(s_invariant, $"| {row.Label} | {Format(baseline, row.Format)} | {Format(sample, row.Format)} | {(ratio is { } x ? x.ToString("0.00", s_invariant) + "x" : "-")} | {target} |");
        }

        var baselineErrors = Errors(headline, ServerKind.Baseline);
        var sampleErrors = Errors(headline, ServerKind.Sample);
        text.AppendLine(s_invariant, $"| Errors + timeouts + dropped idle connections (all runs) | {baselineErrors} | {sampleErrors} | | 0 {(sampleErrors == 0 ? "met" : "**missed**")} |");
        text.AppendLine();

        AppendCpu(text, headline);
        AppendErrors(text);
        if (_options.Configs.Count > 1)
        {
            AppendConfigurations(text);
        }

        AppendRounds(text, headline, rows);
        return text.ToString();
    }

    private static string Count(double value) => value.ToString("N0", s_invariant);

    private static string Micro(double value) => value.ToString("N0", s_invariant);

    private static string Format(double? value, Func<double, string> format) => value is { } v && !double.IsNaN(v) ? format(v) : "-";

    private string DescribeVariables(string config)
    {
        var variables = _options.VariablesFor(config);
        return variables.Count == 0 ? string.Empty : "; environment for both: " + string.Join(", ", variables.Select(v => $"`{v.Key}={v.Value}`"));
    }

    // The sample ships with inline socket completions on (appsettings.json); the docs loop keeps the runtime's default.
    // A configuration that sets the runtime's variable or the configuration key gives both the same setting (the
    // variable wins, as in the apps).
    private string DescribeSocketCompletions(string config)
    {
        var variables = _options.VariablesFor(config);
        bool? inline = variables.TryGetValue(InlineSocketCompletions.Variable, out var forced) ? forced == "1"
            : variables.TryGetValue($"{SocketTransportConfiguration.SectionName}__{InlineSocketCompletions.Key}", out var configured) && bool.TryParse(configured, out var on) ? on
            : null;
        return inline switch
        {
            true => "inline for both (same setting)",
            false => "thread pool for both (the runtime's default; same setting)",
            null => "each app as shipped: inline in the sample (its appsettings.json), the runtime's default (thread pool) in the docs loop",
        };
    }

    private void AppendCpu(StringBuilder text, string config)
    {
        text.AppendLine("CPU use during the measured runs (% of one core; the server has one core, the load client the other):");
        text.AppendLine();
        text.AppendLine(s_invariant, $"| Run | Docs loop server | Its client | {_options.CandidateLabel} server | Its client |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var key in new[] { "echo1", "echo64", "echo1000", "echo16k", "handshakes" })
        {
            var cells = new[]
            {
                Median(config, ServerKind.Baseline, $"{key} server CPU"), Median(config, ServerKind.Baseline, $"{key} client CPU"),
                Median(config, ServerKind.Sample, $"{key} server CPU"), Median(config, ServerKind.Sample, $"{key} client CPU"),
            };
            if (cells.All(c => c is null))
            {
                continue;
            }

            text.AppendLine(s_invariant, $"| {key} | {string.Join(" | ", cells.Select(c => Format(c, v => v.ToString("0", s_invariant))))} |");
        }

        text.AppendLine();
    }

    private void AppendErrors(StringBuilder text) =>
        ReportSections.AppendErrors(text, _results.Where(r => r.Measurement.Errors > 0)
            .Select(r => string.Create(s_invariant, $"`{r.Config}` {r.Server} round {r.Round}, {r.Measurement.Scenario}: {r.Measurement.Errors} ({r.Measurement.ErrorDetail})")));

    private void AppendConfigurations(StringBuilder text)
    {
        var keys = new[] { ("echo1", "1×32 B"), ("echo64", "64×32 B"), ("echo1000", "1000×32 B"), ("echo16k", "64×16 KiB"), ("handshakes", "handshakes/s"), ("memory", "KiB/idle conn") };
        text.AppendLine("Runtime configurations (medians; in brackets the change against the same server under the first configuration):");
        text.AppendLine();
        text.AppendLine("| Configuration | Server | " + string.Join(" | ", keys.Select(k => k.Item2)) + " |");
        text.AppendLine("| --- | --- | " + string.Join(" | ", keys.Select(_ => "---:")) + " |");
        foreach (var config in _options.Configs)
        {
            foreach (var server in new[] { ServerKind.Baseline, ServerKind.Sample })
            {
                var cells = keys.Select(k =>
                {
                    var value = Median(config, server, k.Item1);
                    var reference = Median(_options.Configs[0], server, k.Item1);
                    if (value is not { } v)
                    {
                        return "-";
                    }

                    var shown = k.Item1 == "memory" ? (v / 1024).ToString("0.0", s_invariant) : v.ToString("N0", s_invariant);
                    return config == _options.Configs[0] || reference is not > 0 ? shown : $"{shown} ({(v / reference.Value) - 1:+0%;-0%;0%})";
                });
                text.AppendLine(s_invariant, $"| `{config}` | {(server == ServerKind.Baseline ? "docs loop" : _options.CandidateLabel.ToLowerInvariant())} | {string.Join(" | ", cells)} |");
            }
        }

        text.AppendLine();
    }

    private void AppendRounds(StringBuilder text, string config, List<Row> rows)
    {
        text.AppendLine("<details><summary>Every round</summary>");
        text.AppendLine();
        text.AppendLine(s_invariant, $"| Measurement | Docs loop | {_options.CandidateLabel} |");
        text.AppendLine("| --- | --- | --- |");
        foreach (var row in rows.Where(r => !r.Key.Contains(' ', StringComparison.Ordinal)))
        {
            var baseline = Values(config, ServerKind.Baseline, row.Key);
            var sample = Values(config, ServerKind.Sample, row.Key);
            if (baseline.Count + sample.Count == 0)
            {
                continue;
            }

            text.AppendLine(s_invariant, $"| {row.Label} | {string.Join(", ", baseline.Select(row.Format))} | {string.Join(", ", sample.Select(row.Format))} |");
        }

        text.AppendLine();
        text.AppendLine("</details>");
    }

    private List<double> Values(string config, ServerKind server, string key) =>
        [.. _results.Where(r => r.Config == config && r.Server == server)
            .Select(r => r.Measurement.Values.TryGetValue(key, out var v) ? v : double.NaN)
            .Where(v => !double.IsNaN(v))];

    private double? Median(string config, ServerKind server, string key) => Medians.Of(Values(config, server, key));

    private long Errors(string config, ServerKind server) =>
        _results.Where(r => r.Config == config && r.Server == server).Sum(r => r.Measurement.Errors);

    private sealed record Row(string Key, string Label, bool HigherIsBetter, double? Target, Func<double, string> Format);
}
