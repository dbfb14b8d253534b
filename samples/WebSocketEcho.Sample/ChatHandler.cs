using System.Net.WebSockets;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Sample;

/// <summary>
/// The chat at <c>/chat</c>: every text message a page sends goes, unchanged, to every page connected to <c>/chat</c>,
/// the sender included. The push service reaches them all (on this instance, and on the others through a backplane when
/// one is configured); a page that stopped reading is closed with 1008 and never holds up the others.
/// </summary>
/// <param name="push">Reaches the connections of every endpoint served by <see cref="ChatHandler"/>.</param>
internal sealed class ChatHandler(IWebSocketPush<ChatHandler> push) : IMessageHandler
{
    public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
    {
        if (!message.IsText)
        {
            await connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "Text only");
            return;
        }

        // The payload is valid UTF-8 (the platform checked it); the push copies it once for every page.
        await push.All.SendTextAsync(message.Payload);
    }
}
