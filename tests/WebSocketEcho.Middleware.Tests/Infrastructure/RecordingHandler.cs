using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>
/// A handler that records every callback (in order, per connection) and lets a test decide what a message does:
/// by default it echoes. Tests await its events with timeouts instead of sleeping.
/// </summary>
internal sealed class RecordingHandler : IMessageHandler
{
    private readonly Channel<IWebSocketConnection> _connected = Channel.CreateUnbounded<IWebSocketConnection>();
    private readonly Channel<(IWebSocketConnection Connection, DisconnectInfo Info)> _disconnected = Channel.CreateUnbounded<(IWebSocketConnection, DisconnectInfo)>();
    private readonly ConcurrentQueue<string> _events = new();

    /// <summary>Gets or sets what a message does; the default echoes it back unchanged.</summary>
    public Func<IWebSocketConnection, WebSocketMessage, ValueTask> OnMessage { get; set; } =
        static (connection, message) => message.IsText ? connection.SendTextAsync(message.Payload) : connection.SendBinaryAsync(message.Payload);

    /// <summary>Gets or sets what connecting does; the default nothing.</summary>
    public Func<IWebSocketConnection, ValueTask> OnConnected { get; set; } = static _ => ValueTask.CompletedTask;

    /// <summary>Gets or sets what a disconnect does (before <see cref="NextDisconnectedAsync"/> sees it); the default nothing.</summary>
    public Func<IWebSocketConnection, DisconnectInfo, ValueTask> OnDisconnected { get; set; } = static (_, _) => ValueTask.CompletedTask;

    /// <summary>Gets every callback as "connected:id", "message:id:text|binary:length", "disconnected:id:reason".</summary>
    public IReadOnlyCollection<string> Events => _events;

    public ConcurrentQueue<(string ConnectionId, WebSocketMessageType Type, byte[] Payload)> Messages { get; } = new();

    public int ConnectedCount => _events.Count(e => e.StartsWith("connected:", StringComparison.Ordinal));

    public int DisconnectedCount => _events.Count(e => e.StartsWith("disconnected:", StringComparison.Ordinal));

    public ValueTask OnConnectedAsync(IWebSocketConnection connection)
    {
        _events.Enqueue("connected:" + connection.Id);
        _connected.Writer.TryWrite(connection);
        return OnConnected(connection);
    }

    public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
    {
        _events.Enqueue($"message:{connection.Id}:{(message.IsText ? "text" : "binary")}:{message.Payload.Length}");
        Messages.Enqueue((connection.Id, message.MessageType, message.Payload.ToArray()));
        return OnMessage(connection, message);
    }

    public async ValueTask OnDisconnectedAsync(IWebSocketConnection connection, DisconnectInfo disconnect)
    {
        _events.Enqueue($"disconnected:{connection.Id}:{disconnect.Reason}");
        try
        {
            await OnDisconnected(connection, disconnect);
        }
        finally
        {
            // Signalled after the hook, so a test that awaits the disconnect also sees what the hook did.
            _disconnected.Writer.TryWrite((connection, disconnect));
        }
    }

    /// <summary>Waits for the next OnConnectedAsync.</summary>
    public async Task<IWebSocketConnection> NextConnectedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _connected.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Waits for the next OnDisconnectedAsync.</summary>
    public async Task<(IWebSocketConnection Connection, DisconnectInfo Info)> NextDisconnectedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _disconnected.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Events of one connection, in order.</summary>
    public IReadOnlyList<string> EventsOf(string connectionId) =>
        _events.Where(e => e.Split(':').Length > 1 && e.Contains(":" + connectionId, StringComparison.Ordinal)).ToList();
}
