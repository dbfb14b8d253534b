using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Security;

/// <summary>permessage-deflate is off unless the endpoint enables it; when on, it works and stays bounded by MaxMessageSize.</summary>
public sealed class CompressionTests
{
    private static readonly KeyValuePair<string, string> s_deflateOffer = new("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Client_offering_permessage_deflate_gets_no_extension_by_default_and_uncompressed_frames()
    {
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", new EchoMessageHandler()));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", [s_deflateOffer], cancellationToken: Ct);

        Assert.Equal(101, raw.Handshake.StatusCode);
        Assert.Null(raw.Handshake.Header("Sec-WebSocket-Extensions"));
        await raw.SendTextAsync(new string('a', 1000), Ct);
        var reply = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(0, reply.Rsv);
        Assert.Equal(new string('a', 1000), reply.TextPayload);
    }

    [Fact]
    public async Task EnableCompression_negotiates_permessage_deflate_and_the_server_compresses_its_frames()
    {
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", new EchoMessageHandler(), o => o.EnableCompression = true));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", [s_deflateOffer], cancellationToken: Ct);

        Assert.Equal(101, raw.Handshake.StatusCode);
        Assert.StartsWith("permessage-deflate", raw.Handshake.Header("Sec-WebSocket-Extensions"), StringComparison.Ordinal);

        // An uncompressed frame (RSV1 clear) is allowed; the server's echo is compressed (RSV1 set) and much smaller.
        await raw.SendTextAsync(new string('a', 1000), Ct);
        var reply = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(4, reply.Rsv);
        Assert.True(reply.Payload.Length < 100, $"{reply.Payload.Length} bytes on the wire for 1000 repeated characters");
    }

    [Fact]
    public async Task Compressed_echo_works_with_ClientWebSocket_DangerousDeflateOptions()
    {
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", new EchoMessageHandler("Received:  "), o => o.EnableCompression = true));
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);

        var random = new Random(6455);
        foreach (var length in new[] { 1, 100, 64 * 1024, 900 * 1024 })
        {
            var text = string.Create(length, random, static (span, r) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = (char)('a' + r.Next(4));
                }
            });
            await client.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Ct);
            Assert.Equal("Received:  " + text, await ReceiveTextAsync(client));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Fact]
    public async Task Compressed_message_that_inflates_past_MaxMessageSize_closes_with_1009()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o =>
        {
            o.EnableCompression = true;
            o.MaxMessageSize = 64 * 1024;
        }));
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);

        // 16 MiB of zeros deflates to a few KiB: a decompression bomb.
        var bomb = new byte[16 * 1024 * 1024];
        var send = client.SendAsync(bomb, WebSocketMessageType.Binary, true, Ct);
        var result = await client.ReceiveAsync(new byte[256], Ct);

        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, result.CloseStatus);
        await send.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await client.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, null, Ct);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
        Assert.Empty(handler.Messages);
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket client)
    {
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(buffer.AsMemory(), Ct);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return System.Text.Encoding.UTF8.GetString(message.ToArray());
    }
}
