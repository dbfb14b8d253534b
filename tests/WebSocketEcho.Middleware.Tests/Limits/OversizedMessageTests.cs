using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Limits;

public sealed class OversizedMessageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Browsers and ClientWebSocket send a whole message before they read anything. The server must keep discarding
    /// the rest of an oversized message (bounded) until the peer reads its 1009, instead of resetting TCP, which
    /// would destroy the close frame and leave the peer with 1006 and no reason.
    /// </summary>
    [Theory]
    [InlineData(4 * 1024 * 1024)]
    [InlineData(16 * 1024 * 1024)]
    public async Task Client_that_sends_a_message_far_over_MaxMessageSize_before_reading_receives_1009(int size)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => o.MaxMessageSize = 64 * 1024));
        using var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);

        await client.SendAsync(new byte[size], WebSocketMessageType.Binary, true, Ct);
        var result = await client.ReceiveAsync(new byte[256], Ct);

        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, result.CloseStatus);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
        Assert.Empty(handler.Messages);
    }
}
