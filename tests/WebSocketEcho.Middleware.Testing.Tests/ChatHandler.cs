using System.Net.WebSockets;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>
/// The chat handler of the README's "Write your own handler" section, copied verbatim as test code (a packaging test checks
/// that it still is): the handler the docs/testing.md example tests (the packaging tests compile this file, namespace line
/// removed, with that example). It pushes every text message to every connection of the chat, the sender included.
/// </summary>
public sealed class ChatHandler(IWebSocketPush<ChatHandler> push) : IMessageHandler
{
    public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
    {
        if (!message.IsText)
        {
            await connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "Text only");
            return;
        }

        await push.All.SendTextAsync(message.Payload);   // a member that stopped reading is closed with 1008
    }
}
