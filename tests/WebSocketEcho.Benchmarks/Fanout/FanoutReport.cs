using System.Globalization;
using System.Text;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>Turns the fan-out rounds into Markdown: medians per server, the middleware's ratio to SignalR, the target.</summary>
internal sealed class FanoutReport
{
    private const double Target = 1.5;
    private const int TargetFromConnections = 1_000;
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    private readonly List<FanoutResult> _results;
    private readonly FanoutOptions _options;
    private readonly BenchEnvironment _environment;
    private readonly string _loadAfter;

    public FanoutReport(List<FanoutResult> results, FanoutOptions options, BenchEnvironment environment, string loadAfter)
    {
        _results = results;
        _options = options;
        _environment = environment;
        _loadAfter = loadAfter;
    }

    public string ToMarkdown(TimeSpan elapsed, string[] args)
    {
        var text = new StringBuilder();
        text.AppendLine(_options.Redis
            ? "### Fan-out over Redis: WebSocketEcho.Middleware push + `AddRedisBackplane` vs. SignalR `IHubContext` + `AddStackExchangeRedis`"
            : "### Fan-out: WebSocketEcho.Middleware push vs. SignalR `IHubContext`");
        text.AppendLine();
        var loads = _results.Select(r => r.Measurement.Values.TryGetValue(FanoutScenario.LoadAverage, out var l) ? l : double.NaN).Where(l => !double.IsNaN(l)).ToList();
        var loadRange = loads.Count == 0 ? "unknown" : string.Create(s_invariant, $"{loads.Min():0.#} to {loads.Max():0.#}, median {Medians.Of(loads):0.#}");
        text.AppendLine(s_invariant, $"- Machine: {_environment.DescribeMachine()}; 1-minute load average after each server: {loadRange} (at the end: {_loadAfter}).");
        text.AppendLine(s_invariant, $"- Run: {_options.Mode}, {_options.Rounds} interleaved round(s) (a fresh server per round, connection count and kind; which kind goes first alternates by round); medians; ratio = middleware / SignalR; {elapsed.TotalMinutes:0.0} min in all. Command: `dotnet run -c Release --project tests/WebSocketEcho.Benchmarks -- fanout{(args.Length > 0 ? " " + string.Join(' ', args) : string.Empty)}`.");
        text.AppendLine(s_invariant, $"- Bursts: K messages published as fast as the server can (each publish awaited), K = {_options.BurstDeliveries:N0} / connections, at most {_options.BurstBacklogBytes / 1024} KiB per connection; the runner waits until every connection has every message before the next burst; deliveries/s = deliveries / (server's first publish to the client's last receipt), over {_options.BurstDuration.TotalSeconds:0.#} s of bursts per size. Paced: {_options.PacedRate:N0} deliveries/s (one message every connections / {_options.PacedRate:N0} s) for {_options.PacedDuration.TotalSeconds:0.#} s. Latency: publish (the publisher's Stopwatch timestamp in the message) to receipt (the client's, same clock).");
        text.AppendLine(s_invariant, $"- Memory{(_options.MemoryFrom > 0 ? string.Create(s_invariant, $" (from {_options.MemoryFrom:N0} connections on; below that the growth is mostly fixed costs)") : " (not measured)")}: the server's VmRSS (settled) after opening the connections, each in {FanoutGroups.PerConnection} groups, minus before (after a warm-up with up to 200 connections that then closed), divided by the connections.");
        if (_options.Redis)
        {
            text.AppendLine("- Scaled out: per kind and round, two instances (A, B; both pinned to the server core) sharing one fresh real `redis-server` (Debian's, a child process on a free loopback port, no persistence, pinned to the server core, stopped by PID); middleware `services.AddRedisBackplane(\"127.0.0.1:P\")`, SignalR `AddSignalR().AddStackExchangeRedis(\"127.0.0.1:P\")`; the publisher on A, connection i on A when i is even, on B when odd, so half the deliveries cross Redis. Server CPU = A + B + redis-server.");
        }

        text.AppendLine(s_invariant, $"- Runtime configuration for both: `{_options.Config}`{DescribeVariables()}.");
        text.AppendLine();
        text.AppendLine("| Measurement | SignalR | Middleware | Ratio | Target |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- |");
        foreach (var connections in _options.ConnectionCounts)
        {
            var n = connections.ToString("N0", s_invariant);
            foreach (var size in _options.Sizes)
            {
                Row(text, $"Deliveries/s, {n} connections, {Size(size)}", FanoutScenario.Deliveries(size), connections, Count, connections >= TargetFromConnections ? Target : null);
            }

            foreach (var size in _options.Sizes)
            {
                Row(text, $"Burst p99, {n} connections, {Size(size)} (ms)", FanoutScenario.BurstP99(size), connections, Millis, null);
            }

            if (_options.PacedDuration > TimeSpan.Zero)
            {
                foreach (var size in _options.Sizes)
                {
                    Row(text, $"Paced p99 at {_options.PacedRate:N0}/s, {n} connections, {Size(size)} (ms)", FanoutScenario.PacedP99(size), connections, Millis, null);
                }
            }

            Row(text, $"Server memory per connection, {n} connections in {FanoutGroups.PerConnection} groups each (KiB)", FanoutScenario.MemoryPerConnection, connections, v => (v / 1024).ToString("0.0", s_invariant), null);
        }

        var signalRErrors = _results.Where(r => r.Server == FanoutServerKind.SignalR).Sum(r => r.Measurement.Errors);
        var middlewareErrors = _results.Where(r => r.Server == FanoutServerKind.Middleware).Sum(r => r.Measurement.Errors);
        text.AppendLine(s_invariant, $"| Errors (lost, duplicated, out-of-order or garbled messages, dropped connections; all runs) | {signalRErrors} | {middlewareErrors} | | 0 {(signalRErrors + middlewareErrors == 0 ? "met" : "**missed**")} |");
        text.AppendLine();

        AppendDetails(text);
        AppendErrors(text);
        text.AppendLine("Settings:");
        text.AppendLine();
        foreach (var line in FanoutSettings.Describe())
        {
            text.AppendLine(s_invariant, $"- {line}");
        }

        text.AppendLine();
        AppendRounds(text);
        return text.ToString();
    }

    private static string Size(int bytes) => bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} B";

    private static string Count(double value) => value.ToString("N0", s_invariant);

    private static string Millis(double microseconds) => (microseconds / 1000).ToString(microseconds < 10_000 ? "0.00" : "0", s_invariant);

    private static string Format(double? value, Func<double, string> format) => value is { } v && !double.IsNaN(v) ? format(v) : "-";

    private string DescribeVariables()
    {
        var variables = _options.Variables();
        return variables.Count == 0 ? " (no extra environment: Kestrel's and the runtime's defaults, socket completions on the thread pool)" : "; environment: " + string.Join(", ", variables.Select(v => $"`{v.Key}={v.Value}`"));
    }

    private void Row(StringBuilder text, string label, string key, int connections, Func<double, string> format, double? target)
    {
        var signalR = Median(FanoutServerKind.SignalR, connections, key);
        var middleware = Median(FanoutServerKind.Middleware, connections, key);
        if (signalR is null && middleware is null)
        {
            return;
        }

        var ratio = signalR is > 0 && middleware is not null ? middleware.Value / signalR.Value : (double?)null;
        var verdict = target is { } t
            ? $">= {t:0.0#}x {(ratio is { } r ? (r >= t ? "met" : "**missed**") : string.Empty)}"
            : string.Empty;
        text.AppendLine(s_invariant, $"| {label} | {Format(signalR, format)} | {Format(middleware, format)} | {(ratio is { } x ? x.ToString("0.00", s_invariant) + "x" : "-")} | {verdict} |");
    }

    private void AppendDetails(StringBuilder text)
    {
        text.AppendLine("Per run (medians): messages per burst (K), CPU during the bursts (% of one core; the server has one core, the load client the other), the server's CPU time per delivery (less sensitive to a busy machine than wall-clock rates), paced rate reached, burst p50:");
        text.AppendLine();
        text.AppendLine("| Connections | Size | K | SignalR server CPU | Its client | Middleware server CPU | Its client | Server CPU ns/delivery SignalR / middleware | Paced rate SignalR / middleware | Burst p50 SignalR / middleware (ms) |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var connections in _options.ConnectionCounts)
        {
            foreach (var size in _options.Sizes)
            {
                string Cell(FanoutServerKind kind, string key, Func<double, string> format) => Format(Median(kind, connections, key), format);
                Func<double, string> percent = v => v.ToString("0", s_invariant);
                text.AppendLine(s_invariant, $"| {connections:N0} | {Size(size)} | {Cell(FanoutServerKind.Middleware, FanoutScenario.BurstMessages(size), Count)} | " +
                    $"{Cell(FanoutServerKind.SignalR, FanoutScenario.ServerCpu(size), percent)} | {Cell(FanoutServerKind.SignalR, FanoutScenario.ClientCpu(size), percent)} | " +
                    $"{Cell(FanoutServerKind.Middleware, FanoutScenario.ServerCpu(size), percent)} | {Cell(FanoutServerKind.Middleware, FanoutScenario.ClientCpu(size), percent)} | " +
                    $"{Cell(FanoutServerKind.SignalR, FanoutScenario.ServerCpuPerDelivery(size), Count)} / {Cell(FanoutServerKind.Middleware, FanoutScenario.ServerCpuPerDelivery(size), Count)} | " +
                    $"{Cell(FanoutServerKind.SignalR, FanoutScenario.PacedRate(size), Count)} / {Cell(FanoutServerKind.Middleware, FanoutScenario.PacedRate(size), Count)} | " +
                    $"{Cell(FanoutServerKind.SignalR, FanoutScenario.BurstP50(size), Millis)} / {Cell(FanoutServerKind.Middleware, FanoutScenario.BurstP50(size), Millis)} |");
            }
        }

        text.AppendLine();
    }

    private void AppendErrors(StringBuilder text) =>
        ReportSections.AppendErrors(text, _results.Where(r => r.Measurement.Errors > 0)
            .Select(r => string.Create(s_invariant, $"{r.Server}, {r.Connections:N0} connections, round {r.Round}: {r.Measurement.Errors} ({r.Measurement.ErrorDetail})")));

    private void AppendRounds(StringBuilder text)
    {
        text.AppendLine("<details><summary>Every round (deliveries/s)</summary>");
        text.AppendLine();
        text.AppendLine("| Connections | Size | SignalR | Middleware |");
        text.AppendLine("| ---: | ---: | --- | --- |");
        foreach (var connections in _options.ConnectionCounts)
        {
            foreach (var size in _options.Sizes)
            {
                var key = FanoutScenario.Deliveries(size);
                text.AppendLine(s_invariant, $"| {connections:N0} | {Size(size)} | {string.Join(", ", Values(FanoutServerKind.SignalR, connections, key).Select(Count))} | {string.Join(", ", Values(FanoutServerKind.Middleware, connections, key).Select(Count))} |");
            }
        }

        text.AppendLine();
        text.AppendLine("</details>");
    }

    private List<double> Values(FanoutServerKind server, int connections, string key) =>
        [.. _results.Where(r => r.Server == server && r.Connections == connections)
            .Select(r => r.Measurement.Values.TryGetValue(key, out var v) ? v : double.NaN)
            .Where(v => !double.IsNaN(v))];

    private double? Median(FanoutServerKind server, int connections, string key) => Medians.Of(Values(server, connections, key));
}
