namespace WebSocketEcho.Middleware;

/// <summary>
/// Handles the WebSocket connections of one endpoint: the server-side mirror of a browser page's
/// <c>onopen</c>, <c>onmessage</c> and <c>onclose</c> events.
/// </summary>
/// <remarks>
/// <para>
/// One handler instance serves every connection of its endpoint, so an implementation must be safe to call
/// from many connections at once. Keep per-connection state in <see cref="IWebSocketConnection.Items"/>.
/// </para>
/// <para>
/// For any one connection the calls never overlap and always come in this order:
/// <see cref="OnConnectedAsync"/> once, then <see cref="OnMessageAsync"/> once per whole message, then
/// <see cref="OnDisconnectedAsync"/> exactly once, even when an earlier call threw. The next message is not
/// read from the network until <see cref="OnMessageAsync"/> has completed, which gives natural back-pressure.
/// </para>
/// <para>
/// An exception thrown by <see cref="OnConnectedAsync"/> or <see cref="OnMessageAsync"/> closes that one
/// connection with status 1011 (Internal Error) and is logged with the connection id; other connections are
/// not affected.
/// </para>
/// </remarks>
public interface IMessageHandler
{
    /// <summary>Called once when the WebSocket handshake has completed and the connection is open.</summary>
    /// <param name="connection">The new connection.</param>
    /// <returns>A task that completes when the handler is ready for messages.</returns>
    ValueTask OnConnectedAsync(IWebSocketConnection connection) => ValueTask.CompletedTask;

    /// <summary>Called once for every whole message (text or binary) the peer sends.</summary>
    /// <param name="connection">The connection the message arrived on.</param>
    /// <param name="message">
    /// The message. Its <see cref="WebSocketMessage.Payload"/> lives in a pooled buffer that is reused as soon as
    /// the returned task completes: copy it (for example with <c>ToArray()</c>) to keep it longer.
    /// </param>
    /// <returns>A task that completes when the message has been handled.</returns>
    ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message);

    /// <summary>Called exactly once when the connection has ended, however it ended.</summary>
    /// <param name="connection">The connection that ended. Sends on it fail.</param>
    /// <param name="disconnect">Why it ended: the close status, or the error that ended it.</param>
    /// <returns>A task that completes when the handler has released what it held for the connection.</returns>
    ValueTask OnDisconnectedAsync(IWebSocketConnection connection, DisconnectInfo disconnect) => ValueTask.CompletedTask;
}
