using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Kestrel;

public sealed class SmokeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Chapter_echo_replies_with_prefix_over_real_kestrel()
    {
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/echo", new EchoMessageHandler("Received:  ")));
        using var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri("/echo"), Ct);

        await client.SendAsync(Encoding.UTF8.GetBytes("Hello, world!"), WebSocketMessageType.Text, true, Ct);
        var buffer = new byte[1024];
        var result = await client.ReceiveAsync(buffer, Ct);

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.Equal("Received:  Hello, world!", Encoding.UTF8.GetString(buffer, 0, result.Count));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task Raw_handshake_returns_the_accept_of_the_chapter_key()
    {
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/echo", new EchoMessageHandler()));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/echo", key: "f7cb4ezEAl6C3wRaU6JORA==", cancellationToken: Ct);

        Assert.Equal(101, raw.Handshake.StatusCode);
        Assert.Equal("rE91AJhfC+6JdVcVXOGJEADEJdQ=", raw.Handshake.Header("Sec-WebSocket-Accept"));

        await raw.SendTextAsync("hi", Ct);
        var frame = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal("hi", frame.TextPayload);

        await raw.SendCloseAsync(1000, "done", Ct);
        var close = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(1000, close.CloseStatus);
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(5), Ct));
    }

    [Fact]
    public async Task Message_over_the_limit_closes_with_1009()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o =>
        {
            o.ReceiveBufferSize = 16;
            o.MaxMessageSize = 64;
        }));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);

        await raw.SendFrameAsync(Frame.Binary, new byte[64], cancellationToken: Ct);
        Assert.Equal(64, (await raw.ReadFrameAsync(cancellationToken: Ct)).Payload.Length);

        await raw.SendFrameAsync(Frame.Binary, new byte[65], cancellationToken: Ct);
        var close = await raw.ReadUntilCloseAsync(cancellationToken: Ct);
        Assert.Equal(1009, close?.CloseStatus);
        await raw.SendCloseAsync(1009, cancellationToken: Ct);
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(5), Ct));

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
    }

    [Fact]
    public async Task Invalid_utf8_closes_with_1007_and_the_frame_reaches_the_client()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);

        await raw.SendFrameAsync(Frame.Text, new byte[] { 0xC0, 0xAF }, cancellationToken: Ct);
        await raw.SendTextAsync("trailing data the server must drain", Ct);
        var close = await raw.ReadUntilCloseAsync(cancellationToken: Ct);
        Assert.Equal(1007, close?.CloseStatus);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, info.CloseStatus);
    }

    [Fact]
    public async Task Handler_exception_closes_that_connection_with_1011_and_others_carry_on()
    {
        var handler = new RecordingHandler
        {
            OnMessage = (c, m) => m.GetText() == "boom" ? throw new InvalidOperationException("boom") : c.SendTextAsync(m.Payload),
        };
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler));
        using var bad = new ClientWebSocket();
        using var good = new ClientWebSocket();
        await bad.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await good.ConnectAsync(app.WebSocketUri("/ws"), Ct);

        await bad.SendAsync(Encoding.UTF8.GetBytes("boom"), WebSocketMessageType.Text, true, Ct);
        var result = await bad.ReceiveAsync(new byte[256], Ct);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, result.CloseStatus);

        await good.SendAsync(Encoding.UTF8.GetBytes("still here"), WebSocketMessageType.Text, true, Ct);
        var buffer = new byte[256];
        var reply = await good.ReceiveAsync(buffer, Ct);
        Assert.Equal("still here", Encoding.UTF8.GetString(buffer, 0, reply.Count));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Id == 5 && r.Level == Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task Host_shutdown_closes_connections_with_1001()
    {
        var handler = new RecordingHandler();
        var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler));
        await using (app)
        {
            using var client = new ClientWebSocket();
            await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);
            await handler.NextConnectedAsync();

            var receive = client.ReceiveAsync(new byte[64], Ct);
            var stop = app.StopAsync();
            var result = await receive;
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
            await stop;

            var (_, info) = await handler.NextDisconnectedAsync();
            Assert.Equal(DisconnectReason.ServerShutdown, info.Reason);
        }
    }
}
