using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Middleware;

/// <summary>One accepted WebSocket connection, as seen by an <see cref="IMessageHandler"/>.</summary>
/// <remarks>
/// <para>
/// Every member is safe to call from any thread. Sends are serialized: any number of concurrent callers may
/// send, and their messages go out one whole message at a time, in the order the callers got the send lock.
/// </para>
/// <para>
/// Outgoing data is bounded: when more than <see cref="WebSocketHandlerOptions.MaxPendingSendBytes"/> are waiting
/// to be sent, or one send takes longer than <see cref="WebSocketHandlerOptions.SendTimeout"/>, the peer is
/// considered too slow and the connection is closed with 1008 (Policy Violation).
/// </para>
/// </remarks>
public interface IWebSocketConnection
{
    /// <summary>Gets the connection id, unique within the process; it matches <see cref="HttpContext.TraceIdentifier"/> and appears in every log line about the connection.</summary>
    string Id { get; }

    /// <summary>Gets the HTTP context of the upgrade request: user, route values, query, headers, request services.</summary>
    HttpContext HttpContext { get; }

    /// <summary>Gets the subprotocol negotiated from <c>Sec-WebSocket-Protocol</c>, or <see langword="null"/> when none was.</summary>
    string? SubProtocol { get; }

    /// <summary>Gets the current protocol state of the connection.</summary>
    WebSocketState State { get; }

    /// <summary>Gets a token that is cancelled when the connection has ended (closed, lost or aborted).</summary>
    CancellationToken ConnectionClosed { get; }

    /// <summary>Gets a per-connection dictionary for handler state; it is created on first use.</summary>
    IDictionary<object, object?> Items { get; }

    /// <summary>Sends <paramref name="text"/> as one text message.</summary>
    /// <param name="text">The text to send.</param>
    /// <param name="cancellationToken">Cancels waiting for the send lock. Once the message has started to go out it is not cancelled.</param>
    /// <returns>A task that completes when the message has been handed to the transport.</returns>
    /// <exception cref="WebSocketException">The connection is closing, closed or lost, or the peer is too slow.</exception>
    ValueTask SendTextAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>Sends already UTF-8 encoded text as one text message.</summary>
    /// <param name="utf8Text">The UTF-8 bytes; they must be valid UTF-8.</param>
    /// <param name="cancellationToken">Cancels waiting for the send lock. Once the message has started to go out it is not cancelled.</param>
    /// <returns>A task that completes when the message has been handed to the transport.</returns>
    /// <exception cref="ArgumentException"><paramref name="utf8Text"/> is not valid UTF-8.</exception>
    /// <exception cref="WebSocketException">The connection is closing, closed or lost, or the peer is too slow.</exception>
    ValueTask SendTextAsync(ReadOnlyMemory<byte> utf8Text, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="data"/> as one binary message.</summary>
    /// <param name="data">The bytes to send.</param>
    /// <param name="cancellationToken">Cancels waiting for the send lock. Once the message has started to go out it is not cancelled.</param>
    /// <returns>A task that completes when the message has been handed to the transport.</returns>
    /// <exception cref="WebSocketException">The connection is closing, closed or lost, or the peer is too slow.</exception>
    ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts the close handshake: sends a close frame after any send in progress, then waits (in the background,
    /// up to <see cref="WebSocketHandlerOptions.CloseTimeout"/>) for the peer's close frame before the TCP
    /// connection is closed. Calling it again, or after the connection ended, does nothing.
    /// </summary>
    /// <param name="closeStatus">
    /// The close status. It must be one an endpoint may send: 1000-1003, 1007-1014 or 3000-4999.
    /// </param>
    /// <param name="statusDescription">
    /// An optional reason. A reason longer than 123 UTF-8 bytes is truncated on a character boundary.
    /// </param>
    /// <param name="cancellationToken">Cancels waiting for a send in progress.</param>
    /// <returns>A task that completes when the close frame has been sent. <see cref="ConnectionClosed"/> fires when the handshake has finished.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="closeStatus"/> is not a status an endpoint may send.</exception>
    ValueTask CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription = null, CancellationToken cancellationToken = default);

    /// <summary>Ends the connection at once, without a close handshake.</summary>
    void Abort();
}
