using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>
/// A Kestrel server for the chaos tests: one endpoint at <c>/ws</c> whose registry the test can see, buffers from a
/// <see cref="CountingArrayPool"/>, the active-connections metric collected, framework logs above Information only
/// (so thousands of connections do not flood the log collector), a deep accept backlog, and a watch on unobserved
/// task exceptions.
/// </summary>
internal sealed class ChaosServer : IAsyncDisposable
{
    /// <summary>The kernel send and receive buffer size of the server's sockets.</summary>
    public const int KernelBufferSize = 64 * 1024;

    private readonly ConcurrentQueue<Exception> _unobserved = new();
    private readonly MetricSum _kestrelPooled;

    private ChaosServer(TestApp app, WebSocketEndpoint endpoint, CountingArrayPool pool, RecordingHandler handler)
    {
        App = app;
        Endpoint = endpoint;
        Pool = pool;
        Handler = handler;
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        ActiveConnections = new MetricSum(meters, WebSocketMetrics.MeterName, "websocket.server.active_connections");
        _kestrelPooled = new MetricSum(meters, "Microsoft.AspNetCore.MemoryPool", "aspnetcore.memory_pool.pooled");
        // Let tasks other tests left unobserved surface now, before listening.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TaskScheduler.UnobservedTaskException += OnUnobserved;
    }

    public TestApp App { get; }

    public WebSocketEndpoint Endpoint { get; }

    public CountingArrayPool Pool { get; }

    public RecordingHandler Handler { get; }

    /// <summary>Gets the active-connections metric: opened minus closed.</summary>
    public MetricSum ActiveConnections { get; }

    public int Port => App.Port;

    public long ActiveConnectionsNow => ActiveConnections.Sum;

    /// <summary>Text "boom" throws (a provoked handler error); other text is echoed through the string API, binary as is.</summary>
    public static RecordingHandler EchoHandler() => new()
    {
        KeepPayloads = false,
        QueueConnections = false,
        OnMessage = static (connection, message) =>
        {
            if (!message.IsText)
            {
                return connection.SendBinaryAsync(message.Payload);
            }

            var text = message.GetText();
            return text == "boom" ? throw new InvalidOperationException("Provoked handler failure.") : connection.SendTextAsync(text);
        },
    };

    /// <summary>
    /// Gets the bytes Kestrel's memory pool holds idle for reuse (its <c>aspnetcore.memory_pool.pooled</c> metric). The pool
    /// keeps the blocks it needed at the peak and gives them back to the GC gradually (every 10 s, a part), so they are
    /// reported apart from the rest of the heap.
    /// </summary>
    public long KestrelPooledBytes => _kestrelPooled.Sum;

    /// <summary>Measures the process after a full GC, with Kestrel's idle pool apart.</summary>
    public MemoryFigures MeasureMemory()
    {
        var (heap, rss) = ProcessResources.MeasureAfterFullGc();
        return new MemoryFigures(heap, rss, KestrelPooledBytes);
    }

    public static async Task<ChaosServer> StartAsync(RecordingHandler handler, Action<WebSocketHandlerOptions> configure)
    {
        var pool = new CountingArrayPool();
        WebSocketEndpoint? endpoint = null;
        var app = await TestApp.StartKestrelAsync(
            a => endpoint = a.UseProbedWebSocketHandler("/ws", handler, configure),
            services =>
            {
                pool.Register(services);
                services.Configure<SocketTransportOptions>(o =>
                {
                    o.Backlog = 4096;

                    // Accepted sockets inherit these from the listening socket. Fixed, small kernel buffers (instead of
                    // autotuned ones of several MiB) make a peer that stops reading block the server's sends after
                    // a few hundred KiB, as it would over a real network, instead of after megabytes on loopback.
                    o.CreateBoundListenSocket = endpoint =>
                    {
                        var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                        socket.SendBufferSize = KernelBufferSize;
                        socket.ReceiveBufferSize = KernelBufferSize;
                        return socket;
                    };
                });
                services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(null, "Microsoft", LogLevel.Warning, null)));
            });
        return new ChaosServer(app, endpoint!, pool, handler);
    }

    /// <summary>Waits until the endpoint holds no connection and no pooled buffer is out; returns what is still wrong, or null.</summary>
    public async Task<string?> WaitForBaselineAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var problem = Endpoint.Registry.Count != 0 ? $"{Endpoint.Registry.Count} connections still open"
                : ActiveConnectionsNow != 0 ? $"active_connections metric at {ActiveConnectionsNow}"
                : Pool.Outstanding != 0 ? $"{Pool.Outstanding} pooled buffers not returned ({Pool.Rents} rents, {Pool.Returns} returns)"
                : null;
            if (problem is null || DateTime.UtcNow > deadline)
            {
                return problem;
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>
    /// Gets every log record at Warning or above, except handler errors (event 5) when <paramref name="allowHandlerErrors"/>,
    /// and except Kestrel's "heartbeat slow" warning: it says the machine (2 shared cores running server and thousands
    /// of clients) was saturated, not that anything failed; <see cref="SaturationWarnings"/> counts it.
    /// </summary>
    public IReadOnlyList<FakeLogRecord> Problems(bool allowHandlerErrors) =>
        App.Logs.GetSnapshot()
            .Where(r => r.Level >= LogLevel.Warning && !IsSaturationWarning(r))
            .Where(r => !(allowHandlerErrors && r.Category == Log.Category && r.Id.Id == 5))
            .ToList();

    /// <summary>Gets how many times Kestrel warned that its heartbeat ran late (a saturated machine).</summary>
    public int SaturationWarnings => App.Logs.GetSnapshot().Count(IsSaturationWarning);

    public int HandlerErrorLogs => App.Logs.GetSnapshot().Count(r => r.Category == Log.Category && r.Id.Id == 5);

    /// <summary>Gets unobserved task exceptions raised from the middleware's own code.</summary>
    public IReadOnlyList<Exception> ProductUnobservedExceptions()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return _unobserved.Where(e => e.ToString().Contains("at WebSocketEcho.Middleware.", StringComparison.Ordinal)
            && !e.ToString().Contains("at WebSocketEcho.Middleware.Tests.", StringComparison.Ordinal)).ToList();
    }

    public static string Describe(IEnumerable<FakeLogRecord> records) =>
        string.Join(Environment.NewLine, records.Take(20).Select(r => $"[{r.Level} {r.Category} {r.Id}] {r.Message} {r.Exception?.GetType().Name}: {r.Exception?.Message}"));

    public static string Count(IEnumerable<string> values) =>
        string.Join(", ", values.GroupBy(v => v).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count().ToString(CultureInfo.InvariantCulture)}"));

    public async ValueTask DisposeAsync()
    {
        TaskScheduler.UnobservedTaskException -= OnUnobserved;
        ActiveConnections.Dispose();
        _kestrelPooled.Dispose();
        await App.DisposeAsync();
    }

    private static bool IsSaturationWarning(FakeLogRecord record) =>
        record.Id.Name == "HeartbeatSlow" && record.Category is not null && record.Category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal);

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => _unobserved.Enqueue(e.Exception);
}

/// <summary>The process's memory: GC heap after a full GC, resident set, and how much of it is Kestrel's idle block pool.</summary>
internal readonly record struct MemoryFigures(long GcHeap, long Rss, long KestrelPooled)
{
    public long GcHeapWithoutPool => GcHeap - KestrelPooled;

    public long RssWithoutPool => Rss - KestrelPooled;

    public override string ToString() =>
        $"heap {ProcessResources.Megabytes(GcHeap)} (Kestrel idle pool {ProcessResources.Megabytes(KestrelPooled)}, rest {ProcessResources.Megabytes(GcHeapWithoutPool)}), RSS {ProcessResources.Megabytes(Rss)}";
}
