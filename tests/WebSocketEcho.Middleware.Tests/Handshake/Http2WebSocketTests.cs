using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Handshake;

/// <summary>
/// WebSockets over HTTP/2 (RFC 8441 extended CONNECT) on cleartext HTTP/2 (h2c, prior knowledge): Kestrel with
/// <see cref="HttpProtocols.Http2"/> only, so an HTTP/1.1 upgrade is impossible and only extended CONNECT can work.
/// </summary>
public sealed class Http2WebSocketTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientWebSocket_over_h2c_with_RequestVersionExact_2_0_connects_and_echoes(bool mapped)
    {
        var handler = new RecordingHandler
        {
            OnMessage = (c, m) => c.SendTextAsync($"{c.HttpContext.Request.Protocol} {c.HttpContext.Request.Method} {m.GetText()}"),
        };
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                if (mapped)
                {
                    a.MapWebSocketHandler("/ws", handler);
                }
                else
                {
                    a.UseWebSocketHandler("/ws", handler);
                }
            },
            protocols: HttpProtocols.Http2);

        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
        using var client = new ClientWebSocket();
        client.Options.HttpVersion = HttpVersion.Version20;
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        client.Options.CollectHttpResponseDetails = true;
        await client.ConnectAsync(app.WebSocketUri("/ws"), invoker, Ct);

        Assert.Equal(HttpStatusCode.OK, client.HttpStatusCode);
        Assert.Equal("HTTP/2 CONNECT hello over h2", await client.EchoAsync("hello over h2", Ct));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
    }
}
