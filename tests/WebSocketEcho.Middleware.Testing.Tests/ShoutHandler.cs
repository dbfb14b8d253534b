using System.Net.WebSockets;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>
/// The handler of the core package README's "Your own handler" section, as test code: the handler docs/testing.md's
/// connection-double example tests (the packaging tests compile this file, namespace line removed, with that example).
/// </summary>
public sealed class ShoutHandler : IMessageHandler
{
    public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
        message.IsText
            ? connection.SendTextAsync(message.GetText().ToUpperInvariant())
            : connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "Text only");
}
