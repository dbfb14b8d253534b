using System.Diagnostics;
using System.Globalization;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// One fresh server process at one connection count: warm-up, server memory per connection with five group
/// memberships, a group check, then per message size the burst phase (deliveries per second, publish-to-receipt
/// latency under full load) and the paced phase (latency at a fixed delivery rate). Every phase waits until each
/// connection has each message, bounded in time.
/// </summary>
internal sealed class FanoutScenario
{
    private const int WarmupConnections = 200;

    private readonly FanoutServerKind _kind;
    private readonly int _connections;
    private readonly FanoutOptions _options;
    private readonly BenchEnvironment _environment;
    private readonly DeliveryTally _tally = new();
    private readonly Measurement _measurement = new("fanout");
    private long _nextSequence;

    public FanoutScenario(FanoutServerKind kind, int connections, FanoutOptions options, BenchEnvironment environment)
    {
        _kind = kind;
        _connections = connections;
        _options = options;
        _environment = environment;
    }

    /// <summary>Keys of the measured values, per message size.</summary>
    public static string Deliveries(int size) => Key("deliveries/s", size);

    public static string BurstP50(int size) => Key("burst p50 us", size);

    public static string BurstP99(int size) => Key("burst p99 us", size);

    public static string PacedP99(int size) => Key("paced p99 us", size);

    public static string PacedP50(int size) => Key("paced p50 us", size);

    public static string PacedRate(int size) => Key("paced deliveries/s", size);

    public static string ServerCpu(int size) => Key("server CPU %", size);

    public static string ClientCpu(int size) => Key("client CPU %", size);

    public static string BurstMessages(int size) => Key("burst messages", size);

    public static string ServerCpuPerDelivery(int size) => Key("server CPU ns/delivery", size);

    public const string MemoryPerConnection = "memory B/connection";

    /// <summary>The machine's 1-minute load average when the run ended (the runner adds it).</summary>
    public const string LoadAverage = "load average";

    public async Task<Measurement> RunAsync(IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        var name = _kind.ToString();
        List<string> mode = ["fanout-server", "--kind", name.ToLowerInvariant()];
        if (_options.Fault != FanoutFault.None)
        {
            mode.AddRange(["--fault", _options.Fault.ToString()]);
        }

        await using var redis = _options.Redis ? await FanoutRedis.StartAsync(_environment, cancellationToken) : null;
        if (redis is not null)
        {
            mode.AddRange(["--redis", redis.Configuration]);
        }

        // Scaled out: instance B first, so that A (the publisher's) is the one the other measurements read.
        await using var other = redis is null ? null : await ServerProcess.StartModeAsync(name + " B", mode, _environment, variables, PublishClient.ProbeAsync, cancellationToken);
        await using var server = await ServerProcess.StartModeAsync(name, mode, _environment, variables, PublishClient.ProbeAsync, cancellationToken);
        List<ServerProcess> processes = [server, .. other is null ? [] : new[] { other }, .. redis is null ? [] : new[] { redis.Process }];
        using var publisher = new PublishClient(server.EndPoint);
        try
        {
            await MeasureAsync(server, processes, publisher, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or HttpRequestException or TimeoutException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _tally.Fail($"{ex.GetType().Name}: {ex.Message}");
        }

        foreach (var process in processes.Where(p => p.HasExited))
        {
            _tally.Fail($"{process.Name} exited:{Environment.NewLine}{process.RecentOutput}");
        }

        _measurement.Errors = _tally.Errors;
        _measurement.ErrorDetail = _tally.FirstError;
        return _measurement;
    }

    private static TimeSpan CpuTime(IReadOnlyList<ServerProcess> processes) =>
        processes.Aggregate(TimeSpan.Zero, (sum, process) => sum + process.ReadCpuTime());

    private static string Key(string metric, int size) => string.Create(CultureInfo.InvariantCulture, $"{metric} {size}");

    /// <summary>
    /// Measures <paramref name="server"/> (the publisher's instance, whose memory is read) and, scaled out, the other
    /// instance the connections are split over; the CPU time of all <paramref name="processes"/> is counted.
    /// </summary>
    private async Task MeasureAsync(ServerProcess server, IReadOnlyList<ServerProcess> processes, PublishClient publisher, CancellationToken cancellationToken)
    {
        IReadOnlyList<System.Net.IPEndPoint> instances = [.. processes.Where(p => p != server && p.Name.StartsWith(server.Name, StringComparison.Ordinal)).Select(p => p.EndPoint).Prepend(server.EndPoint)];

        // Warm-up: JIT, pools and GC budgets on both paths, with a few connections that then go away.
        using (var warm = await FanoutClients.OpenAsync(_kind, instances, _environment.SourceAddresses, Math.Min(_connections, WarmupConnections), _tally, _nextSequence, cancellationToken))
        {
            foreach (var size in _options.Sizes)
            {
                if (!await BurstsAsync(publisher, warm.Count, size, _options.Warmup, null, cancellationToken))
                {
                    return;
                }
            }
        }

        var measureMemory = _options.MemoryFrom > 0 && _connections >= _options.MemoryFrom;
        var before = measureMemory ? await server.ReadSettledRssAsync(cancellationToken) : 0;
        using var clients = await FanoutClients.OpenAsync(_kind, instances, _environment.SourceAddresses, _connections, _tally, _nextSequence, cancellationToken);
        if (measureMemory)
        {
            var after = await server.ReadSettledRssAsync(cancellationToken);
            _measurement.Add(MemoryPerConnection, (after - before) / (double)_connections);
        }

        // Every connection is in exactly one of the groups a0..a9: one message to each group reaches each connection once.
        if (await PublishAsync(publisher, _connections, 1, FanoutPayload.HeaderLength, TimeSpan.Zero, null, cancellationToken, [.. FanoutGroups.Partition]) is null)
        {
            return;
        }

        foreach (var size in _options.Sizes)
        {
            if (!await MeasureBurstsAsync(processes, publisher, size, cancellationToken)
                || (_options.PacedDuration > TimeSpan.Zero && !await MeasurePacedAsync(publisher, size, cancellationToken)))
            {
                return;
            }
        }

        if (clients.Dropped > 0)
        {
            _tally.Fail($"{clients.Dropped} connection(s) were dropped", 0);
        }
    }

    private async Task<bool> MeasureBurstsAsync(IReadOnlyList<ServerProcess> processes, PublishClient publisher, int size, CancellationToken cancellationToken)
    {
        // One burst first that is not measured: the measured connections' first large messages size their buffers.
        if (!await BurstsAsync(publisher, _connections, size, TimeSpan.Zero, null, cancellationToken))
        {
            return false;
        }

        var latency = new LatencyHistogram();
        var serverCpu = CpuTime(processes);
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var (deliveries, ticks) = (0L, 0L);
        var messages = _options.BurstMessages(_connections, size);
        while (deliveries == 0 || wall.Elapsed < _options.BurstDuration)
        {
            var start = await PublishAsync(publisher, _connections, messages, size, TimeSpan.Zero, latency, cancellationToken);
            if (start is null)
            {
                return false;
            }

            deliveries += (long)_connections * messages;
            ticks += _tally.LastAt - start.Value;
        }

        var seconds = wall.Elapsed.TotalSeconds;
        var serverCpuUsed = CpuTime(processes) - serverCpu;
        _measurement.Add(Deliveries(size), deliveries / (ticks / (double)Stopwatch.Frequency));
        _measurement.Add(ServerCpuPerDelivery(size), serverCpuUsed.TotalNanoseconds / deliveries);
        _measurement.Add(BurstP50(size), latency.PercentileMicroseconds(50));
        _measurement.Add(BurstP99(size), latency.PercentileMicroseconds(99));
        _measurement.Add(BurstMessages(size), messages);
        _measurement.Add(ServerCpu(size), serverCpuUsed.TotalSeconds / seconds * 100);
        _measurement.Add(ClientCpu(size), (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalSeconds / seconds * 100);
        return true;
    }

    private async Task<bool> MeasurePacedAsync(PublishClient publisher, int size, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(_connections / (double)_options.PacedRate);
        var count = (int)Math.Max(2, Math.Round(_options.PacedDuration / interval));
        var latency = new LatencyHistogram();
        var start = await PublishAsync(publisher, _connections, count, size, interval, latency, cancellationToken);
        if (start is null)
        {
            return false;
        }

        _measurement.Add(PacedP50(size), latency.PercentileMicroseconds(50));
        _measurement.Add(PacedP99(size), latency.PercentileMicroseconds(99));
        _measurement.Add(PacedRate(size), (long)_connections * count / ((_tally.LastAt - start.Value) / (double)Stopwatch.Frequency));
        return true;
    }

    /// <summary>Bursts of the configured size until <paramref name="duration"/> has passed (at least one), not measured.</summary>
    private async Task<bool> BurstsAsync(PublishClient publisher, int connections, int size, TimeSpan duration, LatencyHistogram? latency, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        do
        {
            if (await PublishAsync(publisher, connections, _options.BurstMessages(connections, size), size, TimeSpan.Zero, latency, cancellationToken) is null)
            {
                return false;
            }
        }
        while (wall.Elapsed < duration);
        return true;
    }

    /// <summary>
    /// Has the server publish <paramref name="count"/> messages and waits until all <paramref name="connections"/> have
    /// every one; returns the server's timestamp of the first publish, or null when a delivery failed or did not come.
    /// </summary>
    private async Task<long?> PublishAsync(
        PublishClient publisher, int connections, int count, int size, TimeSpan interval, LatencyHistogram? latency, CancellationToken cancellationToken, IReadOnlyList<string>? groups = null)
    {
        var deliveries = (long)connections * count;
        _tally.Expect(deliveries, size, latency);
        var first = _nextSequence;
        _nextSequence += count;
        var (start, _) = await publisher.PublishAsync(first, count, size, interval, groups, cancellationToken);

        // Generous: a healthy run needs a small fraction of this (a loaded 2-core machine at 20,000 deliveries/s).
        var timeout = TimeSpan.FromSeconds(30 + (deliveries / 20_000.0));
        return await _tally.WaitAsync(timeout) ? start : null;
    }
}
