using System.Net.WebSockets;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>
/// The package README's shout handler tested without a server, with the connection double. (The README's chat handler
/// pushes through IWebSocketPush, which needs the app: SeveralClientsTests test it through TestServer.)
/// </summary>
public sealed class ShoutHandlerUnitTests
{
    [Fact]
    public async Task ShoutHandler_shouts_text_back_and_closes_with_1003_on_binary()
    {
        var handler = new ShoutHandler();
        var connection = new TestWebSocketConnection();

        await handler.OnMessageAsync(connection, TestMessages.Text("hi"));
        await handler.OnMessageAsync(connection, TestMessages.Binary([1, 2]));

        Assert.Equal(["HI"], connection.SentTexts);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, connection.CloseStatus);
        Assert.Equal("Text only", connection.CloseStatusDescription);
    }
}
