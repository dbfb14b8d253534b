using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// The server the "failed connection ends at once" cases talk to: real Kestrel on a loopback port chosen by the OS,
/// with a long close timeout (<see cref="CloseTimeout"/>), so a connection that waited for it is told apart from one
/// that ended promptly. One endpoint per way the server fails a connection: 1002 and 1007 (the platform's checks) and
/// 1009 (message too big) on <see cref="EchoPath"/>, 1009 (too many fragments) on <see cref="FragmentLimitedPath"/>,
/// and 1008 (slow consumer, "Send buffer full") on <see cref="FloodPath"/>, whose handler floods every connection from
/// a background task, outside the receive loop, the way a push or a broadcast does. Each also under
/// <see cref="ShortCloseTimeoutPrefix"/>, with <see cref="ShortCloseTimeout"/>, for peers that never stop sending.
/// </summary>
public sealed class FailureServer : IAsyncLifetime
{
    /// <summary>Default limits: 1 MiB messages.</summary>
    public const string EchoPath = "/echo";

    /// <summary>Messages of at most <see cref="MaxFragments"/> fragments.</summary>
    public const string FragmentLimitedPath = "/fragments";

    /// <summary>Floods each connection with 16 KiB messages, without awaiting them, until a send fails; ignores what it receives. Add <c>?id=</c>.</summary>
    public const string FloodPath = "/flood";

    /// <summary>Prefix of the same endpoints with <see cref="ShortCloseTimeout"/>.</summary>
    public const string ShortCloseTimeoutPrefix = "/short";

    public const int MaxFragments = 16;

    /// <summary>The flood endpoint's MaxPendingSendBytes.</summary>
    public const int MaxPendingSendBytes = 64 * 1024;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<Exception>> _floods = new();
    private TestApp? _app;

    /// <summary>Gets the close timeout of every endpoint: far longer than any failure may take to end.</summary>
    internal static TimeSpan CloseTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the close timeout of the endpoints under <see cref="ShortCloseTimeoutPrefix"/>.</summary>
    internal static TimeSpan ShortCloseTimeout { get; } = TimeSpan.FromSeconds(2);

    internal TestApp App => _app ?? throw new InvalidOperationException("The server is not started.");

    internal int Port => App.Port;

    /// <summary>Gets how many times the server logged that it ended TCP while a failed peer was still sending (event 40).</summary>
    internal int ClosedWhileStillSendingLogs => App.MiddlewareLogs.Count(r => r.Id.Id == 40);

    public async ValueTask InitializeAsync()
    {
        var echo = new EchoMessageHandler();
        var flood = new RecordingHandler
        {
            KeepPayloads = false,
            QueueConnections = false,
            OnMessage = static (_, _) => ValueTask.CompletedTask,
            OnConnected = connection =>
            {
                var failed = Flood(connection.HttpContext.Request.Query["id"].ToString());
                _ = Task.Run(() => FloodAsync(connection, failed));
                return ValueTask.CompletedTask;
            },
        };
        _app = await TestApp.StartKestrelAsync(app =>
        {
            foreach (var (prefix, closeTimeout) in new[] { (string.Empty, CloseTimeout), (ShortCloseTimeoutPrefix, ShortCloseTimeout) })
            {
                app.UseWebSocketHandler(prefix + EchoPath, echo, o => Common(o, closeTimeout));
                app.UseWebSocketHandler(prefix + FragmentLimitedPath, echo, o => Common(o, closeTimeout).MaxFragmentsPerMessage = MaxFragments);
                app.UseWebSocketHandler(prefix + FloodPath, flood, o => Common(o, closeTimeout).MaxPendingSendBytes = MaxPendingSendBytes);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>Completes with the send failure that started the 1008 close of the flood connection <paramref name="id"/>.</summary>
    internal Task<Exception> FloodFailedAsync(string id) => Flood(id).Task;

    private static async Task FloodAsync(IWebSocketConnection connection, TaskCompletionSource<Exception> failed)
    {
        var payload = new byte[16 * 1024];
        var sends = new List<Task>();
        try
        {
            // Bounded: the peer's socket buffers hold a few MiB at most, so the limit is hit long before this ends.
            for (var i = 0; i < 100_000; i++)
            {
                var send = connection.SendBinaryAsync(payload).AsTask();
                if (send.IsFaulted)
                {
                    await send;
                }

                sends.Add(send);
            }
        }
        catch (WebSocketException ex)
        {
            failed.TrySetResult(ex);
        }

        // The queued sends end one way or the other; observe their failures.
        foreach (var send in sends)
        {
            try
            {
                await send;
            }
            catch (WebSocketException)
            {
                // Expected once the connection is closing or gone.
            }
        }
    }

    private static WebSocketHandlerOptions Common(WebSocketHandlerOptions options, TimeSpan closeTimeout)
    {
        options.KeepAliveInterval = TimeSpan.Zero;
        options.CloseTimeout = closeTimeout;
        return options;
    }

    private TaskCompletionSource<Exception> Flood(string id) =>
        _floods.GetOrAdd(id, static _ => new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously));
}
