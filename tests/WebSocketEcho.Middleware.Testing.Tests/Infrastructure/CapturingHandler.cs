using System.Threading.Channels;

namespace WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

/// <summary>
/// A handler whose message behaviour a test sets (by default: echo), and that hands each connection and each
/// disconnect to the test as they happen, so tests wait for events instead of sleeping.
/// </summary>
internal sealed class CapturingHandler : IMessageHandler
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly Channel<IWebSocketConnection> _connected = Channel.CreateUnbounded<IWebSocketConnection>();
    private readonly Channel<DisconnectInfo> _disconnected = Channel.CreateUnbounded<DisconnectInfo>();

    /// <summary>Gets or sets what a message does; the default echoes it with its type.</summary>
    public Func<IWebSocketConnection, WebSocketMessage, ValueTask> OnMessage { get; set; } =
        static (connection, message) => message.IsText ? connection.SendTextAsync(message.Payload) : connection.SendBinaryAsync(message.Payload);

    public ValueTask OnConnectedAsync(IWebSocketConnection connection)
    {
        _connected.Writer.TryWrite(connection);
        return ValueTask.CompletedTask;
    }

    public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) => OnMessage(connection, message);

    public ValueTask OnDisconnectedAsync(IWebSocketConnection connection, DisconnectInfo disconnect)
    {
        _disconnected.Writer.TryWrite(disconnect);
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits (up to <paramref name="within"/>, default 10 s) for the next connection.</summary>
    public async Task<IWebSocketConnection> NextConnectedAsync(TimeSpan? within = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(within ?? s_wait);
        return await _connected.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Waits (up to <paramref name="within"/>, default 10 s) for the next disconnect.</summary>
    public async Task<DisconnectInfo> NextDisconnectedAsync(TimeSpan? within = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(within ?? s_wait);
        return await _disconnected.Reader.ReadAsync(cts.Token);
    }
}
