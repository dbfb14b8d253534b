using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WebSocketEcho.Benchmarks.Baseline;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Benchmarks.Micro;

/// <summary>The server loops compared per message.</summary>
public enum EchoServer
{
    /// <summary>The documentation's loop (4 KiB buffer, MemoryStream, string concatenation).</summary>
    DocsLoop,

    /// <summary>The floor: a lean loop straight on the platform's WebSocket (zero-byte receive, pooled buffers, no strings).</summary>
    LeanLoop,

    /// <summary>The middleware: MessagePump + WebSocketConnection + EchoMessageHandler, over a TransportStream as in production.</summary>
    Middleware,

    /// <summary>
    /// The middleware traced: an <see cref="ActivityListener"/> samples in every activity of the source
    /// <c>WebSocketEcho.Middleware</c>, and the connection runs under an upgrade request's activity, as with
    /// OpenTelemetry's ASP.NET Core instrumentation on. Each message then gets its activity (a root linked to that one).
    /// </summary>
    MiddlewareTraced,
}

/// <summary>
/// One echoed message ("Received:  " + message) through an in-memory connection with real framing on both ends
/// (<see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>): the client sends a masked frame,
/// the server loop receives, replies, and the client reads the reply. Everything runs inline on the benchmark thread,
/// so the allocated bytes per operation are the server loop's plus the platform's framing, per echoed message.
/// </summary>
[MemoryDiagnoser]
public class PerMessageBenchmarks : IDisposable
{
    private readonly byte[] _replyBuffer = new byte[64 * 1024];
    private byte[] _message = [];
    private WebSocket? _client;
    private WebSocket? _server;
    private Task _serverLoop = Task.CompletedTask;
    private ActivityListener? _listener;
    private ActivitySource? _hosting;

    [Params(32, 16 * 1024)]
    public int MessageSize { get; set; }

    [Params(EchoServer.DocsLoop, EchoServer.LeanLoop, EchoServer.Middleware, EchoServer.MiddlewareTraced)]
    public EchoServer Server { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _message = new byte[MessageSize];
        Array.Fill(_message, (byte)'x');
        var (clientStream, serverStream) = InMemoryDuplexStream.CreatePair();
        var noKeepAlive = TimeSpan.Zero;
        _client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = noKeepAlive });
        switch (Server)
        {
            case EchoServer.DocsLoop:
                _server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = noKeepAlive });
                _serverLoop = DocsEchoLoop.EchoAsync(_server, CancellationToken.None);
                break;
            case EchoServer.LeanLoop:
                _server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = noKeepAlive });
                _serverLoop = LeanEchoLoop.EchoAsync(_server, CancellationToken.None);
                break;
            default:
                var transport = new TransportStream(serverStream, new WebSocketHandlerOptions().MaxFragmentsPerMessage);
                _server = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = noKeepAlive });
                var endpoint = new EndpointContext(
                    "/echo", new EndpointSettings(new WebSocketHandlerOptions()), NullLogger.Instance, WebSocketMetrics.For(null), ArrayPool<byte>.Shared,
                    new PushHubs(new ServiceCollection().BuildServiceProvider()).GetScope(typeof(EchoMessageHandler)));
                var registry = new ConnectionRegistry(endpoint);
                _ = registry.TryReserve();
                var connection = new WebSocketConnection(new DefaultHttpContext(), _server, transport, lifetime: null, endpoint);
                var upgrade = Server == EchoServer.MiddlewareTraced ? StartTracing() : null;
                _serverLoop = new MessagePump(new EchoMessageHandler(DocsEchoLoop.Prefix), endpoint, registry).RunAsync(connection);

                // The pump keeps running under the upgrade request's activity; the benchmark thread does not.
                Activity.Current = upgrade?.Parent;
                break;
        }

        // One echo outside the measurement, so lazily created state is not counted.
        Echo().GetAwaiter().GetResult();
    }

    [Benchmark]
    public async Task Echo()
    {
        var client = _client!;
        await client.SendAsync(_message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var received = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(_replyBuffer.AsMemory(received), CancellationToken.None);
            received += result.Count;
        }
        while (!result.EndOfMessage);

        if (received != MessageSize + DocsEchoLoop.Prefix.Length)
        {
            throw new InvalidOperationException($"Got {received} bytes back.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client!.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).GetAwaiter().GetResult();
        _serverLoop.Wait(TimeSpan.FromSeconds(10));
        _client.Dispose();
        _server!.Dispose();
        Dispose();
    }

    /// <summary>Detaches the traced case's listener, so the next case runs with nobody listening.</summary>
    public void Dispose()
    {
        _listener?.Dispose();
        _hosting?.Dispose();
        _listener = null;
        _hosting = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Listens to the middleware's activities (all sampled in) and starts the connection's upgrade request activity.</summary>
    private Activity StartTracing()
    {
        _hosting = new ActivitySource("Benchmarks.Hosting");
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is WebSocketActivitySource.Name || ReferenceEquals(source, _hosting),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
        return _hosting.StartActivity("Microsoft.AspNetCore.Hosting.HttpRequestIn", ActivityKind.Server)
            ?? throw new InvalidOperationException("The benchmark's listener did not sample the upgrade request in.");
    }
}
