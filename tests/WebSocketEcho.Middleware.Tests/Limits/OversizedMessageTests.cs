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
        await client.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, null, Ct);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
        Assert.Empty(handler.Messages);
    }

    /// <summary>
    /// Found by the random stream test: after the 1009 the server reads on, waiting for the peer's close frame. When it
    /// meets a protocol violation instead, it must not close TCP while the peer is still sending: the kernel would
    /// answer the peer's bytes with a reset, which destroys the unread 1009 on the peer's side. It drains first.
    /// </summary>
    [Fact]
    public async Task Oversized_message_then_an_invalid_frame_from_a_peer_still_sending_delivers_1009_not_a_reset()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => o.MaxMessageSize = 64 * 1024));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);

        var bytes = new MemoryStream();
        bytes.Write(RawWebSocketClient.BuildFrame(Frame.Binary, new byte[70 * 1024]));
        bytes.Write(RawWebSocketClient.BuildFrame(3, "reserved opcode"u8));
        await raw.WriteRawAsync(bytes.ToArray(), Ct);

        // Keep sending a little longer, unread by us (the 1009 waits in our receive buffer), like a client that has
        // not looked at its socket yet.
        for (var i = 0; i < 8; i++)
        {
            await raw.WriteRawAsync(RawWebSocketClient.BuildFrame(Frame.Binary, new byte[100]), Ct);
            await Task.Delay(20, Ct);
        }

        var close = await raw.ReadUntilCloseAsync(cancellationToken: Ct);
        Assert.Equal(1009, close?.CloseStatus);
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
    }
}
