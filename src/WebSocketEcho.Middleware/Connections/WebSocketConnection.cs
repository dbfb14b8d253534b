using System.Net.WebSockets;
using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Middleware;

/// <summary>
/// One accepted connection: its identity and the <see cref="IWebSocketConnection"/> the handler holds. Its jobs are
/// done by one collaborator each, all reachable from here:
/// <list type="bullet">
/// <item><see cref="Writer"/>, the single writer: serialized sends, pending bytes, the send in progress.</item>
/// <item><see cref="Closing"/>, the close handshake: the server's close frame or its answer, lingering, the end.</item>
/// <item><see cref="Outcome"/>, why the connection ended: the first <see cref="ConnectionEnd"/> recorded wins.</item>
/// <item><see cref="Timeouts"/>, the send, close and idle timeouts the endpoint's heartbeat enforces.</item>
/// </list>
/// Three kinds of callers touch a connection. The receive loop (<see cref="MessagePump"/>, one per connection):
/// <see cref="StartMessage"/>, the timeouts' receive time, the peer's close, the outcome of failures, the end. Senders,
/// from any thread (the handler through this interface, pushes through <see cref="TryPush"/>): the writer, and
/// <see cref="CloseAsync"/> and <see cref="Abort"/>. Timers and the host (the heartbeat and shutdown, through
/// <see cref="ConnectionRegistry"/>): the timeouts and the close handshake. This file's own state is written once, when
/// the connection opens, except <see cref="Items"/> (the handler's) and the push fields (under the push scope's lock).
/// </summary>
internal sealed class WebSocketConnection : IWebSocketConnection
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private Dictionary<object, object?>? _items;
    private long _messagesStarted;

    public WebSocketConnection(HttpContext httpContext, WebSocket socket, TransportStream? transport, LifetimeGate? lifetime, EndpointContext endpoint)
    {
        HttpContext = httpContext;
        Socket = socket;
        Transport = transport;
        Lifetime = lifetime;
        Endpoint = endpoint;
        Id = endpoint.Push.NewConnectionId();
        Outcome = new ConnectionOutcome(this);
        Closing = new CloseHandshake(this);
        Writer = new ConnectionWriter(this, httpContext.RequestAborted);
        Timeouts = new ConnectionTimeouts(this);
    }

    public string Id { get; }

    public HttpContext HttpContext { get; }

    public string? SubProtocol => Socket.SubProtocol;

    public WebSocketState State => Socket.State;

    /// <remarks>The token source is created on first use (most connections never ask), or is a shared cancelled one once the connection has ended.</remarks>
    public CancellationToken ConnectionClosed => Closing.EndedToken;

    public IDictionary<object, object?> Items =>
        _items ?? Interlocked.CompareExchange(ref _items, new Dictionary<object, object?>(), null) ?? _items;

    /// <summary>Gets the platform's WebSocket.</summary>
    internal WebSocket Socket { get; }

    /// <summary>Gets the upgraded stream under <see cref="Socket"/>, or null when the server brought its own WebSocket (TestHost).</summary>
    internal TransportStream? Transport { get; }

    /// <summary>Gets the gate that decides how TCP ends, or null (see <see cref="LifetimeGate"/>).</summary>
    internal LifetimeGate? Lifetime { get; }

    /// <summary>Gets the endpoint's settings, logger, metrics and pool.</summary>
    internal EndpointContext Endpoint { get; }

    /// <summary>Gets the single writer.</summary>
    internal ConnectionWriter Writer { get; }

    /// <summary>Gets the close handshake.</summary>
    internal CloseHandshake Closing { get; }

    /// <summary>Gets why the connection ended, or is ending.</summary>
    internal ConnectionOutcome Outcome { get; }

    /// <summary>Gets the timeouts the heartbeat enforces.</summary>
    internal ConnectionTimeouts Timeouts { get; }

    /// <summary>Gets or sets the user the connection belongs to, for pushes to users. Written by its push scope.</summary>
    internal string? PushUserId { get; set; }

    /// <summary>Gets or sets the groups the connection is in. Read and written under its push scope's lock.</summary>
    internal List<string>? PushGroups { get; set; }

    /// <summary>Gets or sets a value indicating whether the push scope has forgotten the connection. Under the scope's lock.</summary>
    internal bool PushUnregistered { get; set; }

    public ValueTask SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);

        // Throws ArgumentException (EncoderFallbackException) for unpaired surrogates: they cannot be sent as UTF-8.
        var byteCount = s_strictUtf8.GetByteCount(text);
        var buffer = Endpoint.Pool.Rent(byteCount);
        var length = s_strictUtf8.GetBytes(text, buffer);
        return Writer.SendPooledAsync(buffer, length, WebSocketMessageType.Text, cancellationToken);
    }

    public ValueTask SendTextAsync(ReadOnlyMemory<byte> utf8Text, CancellationToken cancellationToken = default)
    {
        if (!Utf8.IsValid(utf8Text.Span))
        {
            throw new ArgumentException("The text is not valid UTF-8; send it as binary, or fix its encoding.", nameof(utf8Text));
        }

        return Writer.SendAsync(utf8Text, WebSocketMessageType.Text, cancellationToken);
    }

    public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        Writer.SendAsync(data, WebSocketMessageType.Binary, cancellationToken);

    public ValueTask CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription = null, CancellationToken cancellationToken = default)
    {
        if (!CloseStatusRules.IsSendable(closeStatus))
        {
            throw new ArgumentOutOfRangeException(
                nameof(closeStatus), closeStatus, "An endpoint may only send the close statuses 1000-1003, 1007-1014 and 3000-4999.");
        }

        return new ValueTask(Closing.StartAsync(ConnectionEnd.ClosedByServer(closeStatus, statusDescription).Info, cancellationToken));
    }

    public void Abort()
    {
        Outcome.TryRecord(ConnectionEnd.Aborted().Info);
        Socket.Abort();
    }

    /// <summary>Sends one whole message through the single writer. Text must already be valid UTF-8 (the echo handler's replies are).</summary>
    internal ValueTask SendAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type, CancellationToken cancellationToken) =>
        Writer.SendAsync(payload, type, cancellationToken);

    /// <summary>Hands a pushed message to the single writer without waiting for it to go out (see <see cref="ConnectionWriter.TryPush"/>).</summary>
    internal bool TryPush(ReadOnlyMemory<byte> payload, WebSocketMessageType type) => Writer.TryPush(payload, type);

    /// <summary>
    /// Notes that a data message starts arriving and returns its number (1 for the first), which the transport's frame
    /// count uses too (<see cref="TransportStream.FirstMessageOverFragmentLimit"/>). Only the receive loop calls it.
    /// </summary>
    internal long StartMessage() => ++_messagesStarted;
}
