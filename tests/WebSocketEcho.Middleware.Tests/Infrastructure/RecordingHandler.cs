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

    /// <summary>Gets or sets a value indicating whether <see cref="Messages"/> keeps a copy of every message (default true; load tests turn it off).</summary>
    public bool KeepPayloads { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether connections are queued for <see cref="NextConnectedAsync"/> and
    /// <see cref="NextDisconnectedAsync"/> (default true). Load tests that measure memory turn it off: a queued
    /// connection keeps its whole HTTP context alive.
    /// </summary>
    public bool QueueConnections { get; set; } = true;

    public int ConnectedCount => _events.Count(e => e.StartsWith("connected:", StringComparison.Ordinal));

    public int DisconnectedCount => _events.Count(e => e.StartsWith("disconnected:", StringComparison.Ordinal));

    public ValueTask OnConnectedAsync(IWebSocketConnection connection)
    {
        _events.Enqueue("connected:" + connection.Id);
        if (QueueConnections)
        {
            _connected.Writer.TryWrite(connection);
        }

        return OnConnected(connection);
    }

    public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
    {
        _events.Enqueue($"message:{connection.Id}:{(message.IsText ? "text" : "binary")}:{message.Payload.Length}");
        if (KeepPayloads)
        {
            Messages.Enqueue((connection.Id, message.MessageType, message.Payload.ToArray()));
        }

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
            if (QueueConnections)
            {
                _disconnected.Writer.TryWrite((connection, disconnect));
            }
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

    /// <summary>
    /// Checks the handler contract for every connection seen: exactly one "connected" first, exactly one
    /// "disconnected" last, only messages in between. Returns one line per connection that broke it.
    /// </summary>
    public IReadOnlyList<string> SequenceViolations()
    {
        var byConnection = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var e in _events)
        {
            var (kind, id) = ParseEvent(e);
            if (!byConnection.TryGetValue(id, out var list))
            {
                byConnection[id] = list = [];
            }

            list.Add(kind);
        }

        var violations = new List<string>();
        foreach (var (id, kinds) in byConnection)
        {
            var ok = kinds.Count >= 2
                && kinds[0] == "connected"
                && kinds[^1] == "disconnected"
                && kinds.Skip(1).SkipLast(1).All(k => k == "message");
            if (!ok)
            {
                violations.Add($"{id}: {string.Join(" ", kinds)}");
            }
        }

        return violations;
    }

    /// <summary>Gets how each connection ended, by connection id.</summary>
    public IReadOnlyDictionary<string, DisconnectReason> DisconnectReasons()
    {
        var reasons = new Dictionary<string, DisconnectReason>(StringComparer.Ordinal);
        foreach (var e in _events.Where(e => e.StartsWith("disconnected:", StringComparison.Ordinal)))
        {
            var last = e.LastIndexOf(':');
            reasons[e["disconnected:".Length..last]] = Enum.Parse<DisconnectReason>(e[(last + 1)..]);
        }

        return reasons;
    }

    /// <summary>Events of one connection, in order.</summary>
    public IReadOnlyList<string> EventsOf(string connectionId) =>
        _events.Where(e => e.Split(':').Length > 1 && e.Contains(":" + connectionId, StringComparison.Ordinal)).ToList();

    /// <summary>Splits an event into its kind and connection id (ids may contain ':').</summary>
    private static (string Kind, string ConnectionId) ParseEvent(string e)
    {
        var colon = e.IndexOf(':', StringComparison.Ordinal);
        var kind = e[..colon];
        var rest = e[(colon + 1)..];
        return kind switch
        {
            "message" => (kind, rest[..rest.LastIndexOf(':', rest.LastIndexOf(':') - 1)]),
            "disconnected" => (kind, rest[..rest.LastIndexOf(':')]),
            _ => (kind, rest),
        };
    }
}
