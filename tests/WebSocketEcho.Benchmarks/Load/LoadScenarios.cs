using System.Diagnostics;
using System.Net.Sockets;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// The measurements, each against one running server: echo ping-pong throughput and round trips, handshakes per
/// second, and server memory per idle connection followed by active load next to those idle connections.
/// Every scenario is bounded in time: loops stop at their deadline, and whatever has not finished within a grace
/// period afterwards is aborted and counted as a timeout.
/// </summary>
internal sealed class LoadScenarios
{
    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(15);
    private static readonly byte[] s_prefix = "Received:  "u8.ToArray();

    private readonly ServerProcess _server;
    private readonly BenchEnvironment _environment;
    private readonly byte[] _upgradeRequest;
    private readonly byte[] _closeFrame = WireFrames.NormalClose();
    private int _nextSource;

    public LoadScenarios(ServerProcess server, BenchEnvironment environment)
    {
        _server = server;
        _environment = environment;
        _upgradeRequest = WireFrames.UpgradeRequest($"127.0.0.1:{server.EndPoint.Port}", "/echo");
    }

    /// <summary>Echo ping-pong: each of <paramref name="connections"/> sends a message and waits for the reply, in a loop.</summary>
    public async Task<Measurement> EchoAsync(string name, int connections, int payloadSize, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var message = new EchoMessage(payloadSize);
        var opened = await OpenManyAsync(connections, message.BufferSize, message, cancellationToken);
        try
        {
            var result = await RunEchoLoopsAsync(opened, message, warmup, duration);
            var measurement = new Measurement(name);
            measurement.Add(name, result.MessagesPerSecond);
            measurement.Add($"{name} p50", result.P50Microseconds);
            measurement.Add($"{name} p99", result.P99Microseconds);
            measurement.Add($"{name} server CPU", result.ServerCpuPercent);
            measurement.Add($"{name} client CPU", result.ClientCpuPercent);
            measurement.Errors = result.Errors;
            measurement.ErrorDetail = result.FirstError;
            return measurement;
        }
        finally
        {
            DisposeAll(opened);
        }
    }

    /// <summary>Handshakes per second: <paramref name="workers"/> loops of open + one echo + close handshake.</summary>
    public async Task<Measurement> HandshakesAsync(string name, int workers, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var message = new EchoMessage(32);
        var control = new LoopControl();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loops = Enumerable.Range(0, workers).Select(_ => HandshakeLoopAsync(message, control, abort.Token)).ToArray();
        var (seconds, serverCpu, clientCpu) = await RunPhasesAsync(control, warmup, duration);
        await WaitOrAbortAsync(loops, control, abort, []);

        var measurement = new Measurement(name);
        measurement.Add(name, control.Completed / seconds);
        measurement.Add($"{name} server CPU", serverCpu);
        measurement.Add($"{name} client CPU", clientCpu);
        measurement.Errors = control.Errors;
        measurement.ErrorDetail = control.FirstError;
        return measurement;
    }

    /// <summary>
    /// Server memory per idle connection (VmRSS growth over <paramref name="idle"/> connections that each echoed one
    /// message and then went quiet), then <paramref name="active"/> more connections echoing next to them; any error,
    /// timeout or idle connection dropped by the server is counted.
    /// </summary>
    public async Task<Measurement> IdleMemoryAsync(string name, string mixedName, int idle, int active, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var measurement = new Measurement(name);

        // Warm the server up (JIT, pools, GC budgets) so that the growth is the connections' and nothing else's.
        var warm = await WarmUpAsync(warmup, cancellationToken);
        var before = await SettledRssAsync(cancellationToken);

        var message = new EchoMessage(32);
        var idleConnections = await OpenManyAsync(idle, 256, message, cancellationToken);
        var control = new LoopControl();
        var watchers = idleConnections.Select(c => WatchIdleAsync(c, control)).ToArray();
        List<LoadConnection> activeConnections = [];
        try
        {
            var after = await SettledRssAsync(cancellationToken);
            measurement.Add(name, (after - before) / (double)idle);
            measurement.Add($"{name} RSS before (MiB)", before / 1048576.0);
            measurement.Add($"{name} RSS after (MiB)", after / 1048576.0);

            activeConnections = await OpenManyAsync(active, message.BufferSize, message, cancellationToken);
            var result = await RunEchoLoopsAsync(activeConnections, message, TimeSpan.FromTicks(warmup.Ticks / 2), duration);
            measurement.Add(mixedName, result.MessagesPerSecond);
            measurement.Add($"{mixedName} p99", result.P99Microseconds);
            measurement.Errors = warm.Errors + result.Errors + control.Errors;
            measurement.ErrorDetail = warm.ErrorDetail ?? result.FirstError ?? control.FirstError;
        }
        finally
        {
            control.Phase = LoopControl.Stopped;
            DisposeAll(activeConnections);
            DisposeAll(idleConnections);
            await Task.WhenAll(watchers).WaitAsync(s_grace, CancellationToken.None).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        return measurement;
    }

    /// <summary>
    /// Some handshakes and some echo traffic, so the server has compiled and sized everything it will use. Its figures
    /// are not kept, but its errors are: a wrong reply during warm-up fails the run like any other.
    /// </summary>
    public async Task<Measurement> WarmUpAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var third = TimeSpan.FromTicks(duration.Ticks / 3);
        var handshakes = await HandshakesAsync("warm-up", 8, third, third, cancellationToken);
        var echoes = await EchoAsync("warm-up", 16, 32, third, third, cancellationToken);
        return new Measurement("warm-up")
        {
            Errors = handshakes.Errors + echoes.Errors,
            ErrorDetail = handshakes.ErrorDetail ?? echoes.ErrorDetail,
        };
    }

    private static void DisposeAll(IEnumerable<LoadConnection> connections)
    {
        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }

    private static async Task WaitOrAbortAsync(Task[] loops, LoopControl control, CancellationTokenSource abort, IEnumerable<LoadConnection> connections)
    {
        try
        {
            await Task.WhenAll(loops).WaitAsync(s_grace, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            // Stuck round trips: abort them; each unfinished loop counts as a timeout.
            var stuck = loops.Count(l => !l.IsCompleted);
            control.Phase = LoopControl.Aborted;
            control.Fail(new TimeoutException($"{stuck} connection(s) got no answer within {s_grace.TotalSeconds} s of the end of the run."), stuck);
            await abort.CancelAsync();
            DisposeAll(connections);
            await Task.WhenAll(loops).WaitAsync(s_grace, CancellationToken.None).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private async Task<(double Seconds, double ServerCpu, double ClientCpu)> RunPhasesAsync(LoopControl control, TimeSpan warmup, TimeSpan duration)
    {
        await Task.Delay(warmup);
        var serverCpu = _server.ReadCpuTime();
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        control.Phase = LoopControl.Measuring;
        await Task.Delay(duration);
        control.Phase = LoopControl.Stopped;
        var seconds = clock.Elapsed.TotalSeconds;
        var serverPercent = (_server.ReadCpuTime() - serverCpu).TotalSeconds / seconds * 100;
        var clientPercent = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalSeconds / seconds * 100;
        return (seconds, serverPercent, clientPercent);
    }

    private async Task<EchoRunResult> RunEchoLoopsAsync(List<LoadConnection> connections, EchoMessage message, TimeSpan warmup, TimeSpan duration)
    {
        var control = new LoopControl();
        var histogram = new LatencyHistogram();
        using var abort = new CancellationTokenSource();
        var loops = connections.Select(c => EchoLoopAsync(c, message, control, histogram)).ToArray();
        var (seconds, serverCpu, clientCpu) = await RunPhasesAsync(control, warmup, duration);
        await WaitOrAbortAsync(loops, control, abort, connections);
        return new EchoRunResult(
            control.Completed / seconds,
            histogram.PercentileMicroseconds(50),
            histogram.PercentileMicroseconds(99),
            serverCpu,
            clientCpu,
            control.Errors,
            control.FirstError);
    }

    private static async Task EchoLoopAsync(LoadConnection connection, EchoMessage message, LoopControl control, LatencyHistogram histogram)
    {
        long completed = 0;
        try
        {
            while (control.Phase < LoopControl.Stopped)
            {
                var start = Stopwatch.GetTimestamp();
                await connection.SendAsync(message.Frame);
                await connection.ReadTextReplyAsync(message.Reply);
                if (control.Phase == LoopControl.Measuring)
                {
                    histogram.RecordTicks(Stopwatch.GetTimestamp() - start);
                    completed++;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            if (control.Phase != LoopControl.Aborted)
            {
                control.Fail(ex);
            }
        }
        finally
        {
            control.AddCompleted(completed);
        }
    }

    private async Task HandshakeLoopAsync(EchoMessage message, LoopControl control, CancellationToken cancellationToken)
    {
        long completed = 0;
        while (control.Phase < LoopControl.Stopped)
        {
            try
            {
                using var connection = await LoadConnection.OpenAsync(_server.EndPoint, NextSource(), _upgradeRequest, 1024, cancellationToken);
                await connection.SendAsync(message.Frame, cancellationToken);
                await connection.ReadTextReplyAsync(message.Reply, cancellationToken);
                await connection.CloseAsync(_closeFrame, cancellationToken);
                if (control.Phase == LoopControl.Measuring)
                {
                    completed++;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or OperationCanceledException)
            {
                if (control.Phase == LoopControl.Aborted)
                {
                    break;
                }

                control.Fail(ex);
                await Task.Delay(10, CancellationToken.None);
            }
        }

        control.AddCompleted(completed);
    }

    private static async Task WatchIdleAsync(LoadConnection connection, LoopControl control)
    {
        try
        {
            // Answers the server's keep-alive pings; any message or close from the server is unexpected here.
            var message = await connection.ReadMessageAsync();
            if (control.Phase < LoopControl.Stopped)
            {
                control.Fail(new InvalidDataException($"An idle connection got an unexpected frame (opcode {message.Opcode})."));
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            if (control.Phase < LoopControl.Stopped)
            {
                control.Fail(new IOException($"The server dropped an idle connection: {ex.Message}", ex));
            }
        }
    }

    /// <summary>Opens <paramref name="count"/> connections, 64 handshakes at a time, each checked with one verified echo.</summary>
    private async Task<List<LoadConnection>> OpenManyAsync(int count, int bufferSize, EchoMessage message, CancellationToken cancellationToken) =>
        [.. await ParallelOpen.OpenAsync(
            count,
            async (_, timeout) =>
            {
                var connection = await LoadConnection.OpenAsync(_server.EndPoint, NextSource(), _upgradeRequest, bufferSize, timeout);
                try
                {
                    await connection.VerifyEchoAsync(message.Frame, message.Reply, timeout);
                    return connection;
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
            },
            cancellationToken)];

    private System.Net.IPAddress NextSource()
    {
        var sources = _environment.SourceAddresses;
        return sources[(int)((uint)Interlocked.Increment(ref _nextSource) % (uint)sources.Count)];
    }

    private Task<long> SettledRssAsync(CancellationToken cancellationToken) => _server.ReadSettledRssAsync(cancellationToken);

    private sealed record EchoRunResult(double MessagesPerSecond, double P50Microseconds, double P99Microseconds, double ServerCpuPercent, double ClientCpuPercent, long Errors, string? FirstError);

    /// <summary>One message size: the pre-built masked frame, the exact expected reply, and a fitting client buffer.</summary>
    private sealed class EchoMessage
    {
        public EchoMessage(int payloadSize)
        {
            var payload = WireFrames.TextPayload(payloadSize);
            Frame = WireFrames.Masked(WireFrames.Text, payload);
            Reply = [.. s_prefix, .. payload];
            BufferSize = Math.Max(2048, Math.Min(Reply.Length + 16, 64 * 1024));
        }

        public byte[] Frame { get; }

        public byte[] Reply { get; }

        public int BufferSize { get; }
    }

    /// <summary>Phase flag and counters shared by the loops of one run.</summary>
    private sealed class LoopControl
    {
        public const int WarmingUp = 0;
        public const int Measuring = 1;
        public const int Stopped = 2;
        public const int Aborted = 3;

        private long _completed;
        private long _errors;
        private volatile int _phase;
        private string? _firstError;

        public int Phase
        {
            get => _phase;
            set => _phase = value;
        }

        public long Completed => Interlocked.Read(ref _completed);

        public long Errors => Interlocked.Read(ref _errors);

        public string? FirstError => _firstError;

        public void AddCompleted(long count) => Interlocked.Add(ref _completed, count);

        public void Fail(Exception error, long count = 1)
        {
            Interlocked.Add(ref _errors, count);
            Interlocked.CompareExchange(ref _firstError, $"{error.GetType().Name}: {error.Message}", null);
        }
    }
}
