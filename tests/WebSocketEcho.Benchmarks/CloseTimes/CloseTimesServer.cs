using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Benchmarks.CloseTimes;

/// <summary>
/// The server the close times are measured against: real Kestrel on a loopback port the OS picks, the middleware with
/// its default options (CloseTimeout 5 s, MaxMessageSize 1 MiB, MaxFragmentsPerMessage 4096, MaxPendingSendBytes
/// 1 MiB). <see cref="EchoPath"/> echoes; <see cref="FloodPath"/> pushes 16 KiB messages to each connection from a
/// background task, without awaiting them, until a send fails (the 1008 "Send buffer full" close starts then), and
/// notes when that happened (<see cref="SendFailedAtAsync"/>).
/// </summary>
internal sealed class CloseTimesServer : IAsyncDisposable
{
    public const string EchoPath = "/echo";

    /// <summary>The flooding endpoint; add <c>?id=</c>.</summary>
    public const string FloodPath = "/flood";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _sendFailures = new();

    private CloseTimesServer(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public static async Task<CloseTimesServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new CloseTimesServer(app);
        app.UseWebSocketHandler(EchoPath, new EchoMessageHandler());
        app.UseWebSocketHandler(FloodPath, new FloodingHandler(server));
        await app.StartAsync();
        server.Port = new Uri(app.Urls.Single()).Port;
        return server;
    }

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp at which a send to flood connection <paramref name="id"/> failed.</summary>
    public Task<long> SendFailedAtAsync(string id) => SendFailure(id).Task;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private TaskCompletionSource<long> SendFailure(string id) =>
        _sendFailures.GetOrAdd(id, static _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class FloodingHandler(CloseTimesServer server) : IMessageHandler
    {
        public ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            var failed = server.SendFailure(connection.HttpContext.Request.Query["id"].ToString());
            _ = Task.Run(() => FloodAsync(connection, failed));
            return ValueTask.CompletedTask;
        }

        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) => ValueTask.CompletedTask;

        private static async Task FloodAsync(IWebSocketConnection connection, TaskCompletionSource<long> failed)
        {
            var payload = new byte[16 * 1024];
            var queued = new List<Task>();
            try
            {
                // Bounded, though the peer's small receive window and MaxPendingSendBytes end it after a few MiB.
                for (var i = 0; i < 100_000; i++)
                {
                    var send = connection.SendBinaryAsync(payload).AsTask();
                    if (send.IsFaulted)
                    {
                        await send;
                    }

                    queued.Add(send);
                }

                failed.TrySetException(new InvalidOperationException("100,000 sends of 16 KiB were queued without one failing."));
            }
            catch (WebSocketException)
            {
                failed.TrySetResult(Stopwatch.GetTimestamp());
            }

            foreach (var send in queued)
            {
                try
                {
                    await send;
                }
                catch (WebSocketException)
                {
                    // Queued sends fail once the connection closes.
                }
            }
        }
    }
}
