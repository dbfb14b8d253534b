using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware;

/// <summary>One whole WebSocket message, text or binary, assembled from its frames.</summary>
/// <remarks>
/// The payload usually lives in a pooled buffer that is reused once <see cref="IMessageHandler.OnMessageAsync"/>
/// has completed; copy it to keep it.
/// </remarks>
public readonly struct WebSocketMessage
{
    /// <summary>Creates a message.</summary>
    /// <param name="messageType">Either <see cref="WebSocketMessageType.Text"/> or <see cref="WebSocketMessageType.Binary"/>.</param>
    /// <param name="payload">The payload; for text, UTF-8 bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="messageType"/> is <see cref="WebSocketMessageType.Close"/> or undefined.</exception>
    public WebSocketMessage(WebSocketMessageType messageType, ReadOnlyMemory<byte> payload)
    {
        if (messageType is not (WebSocketMessageType.Text or WebSocketMessageType.Binary))
        {
            throw new ArgumentOutOfRangeException(nameof(messageType), messageType, "A message is either Text or Binary.");
        }

        MessageType = messageType;
        Payload = payload;
    }

    /// <summary>Gets the message type: <see cref="WebSocketMessageType.Text"/> or <see cref="WebSocketMessageType.Binary"/>.</summary>
    public WebSocketMessageType MessageType { get; }

    /// <summary>Gets a value indicating whether this is a text message.</summary>
    public bool IsText => MessageType == WebSocketMessageType.Text;

    /// <summary>Gets the payload: the message's bytes, UTF-8 for text messages. Valid UTF-8 is guaranteed for received text.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Decodes the payload as UTF-8 into a new string.</summary>
    /// <returns>The text of the message.</returns>
    public string GetText() => Encoding.UTF8.GetString(Payload.Span);
}
