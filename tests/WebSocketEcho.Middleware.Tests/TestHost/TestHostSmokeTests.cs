using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.TestHost;

public sealed class TestHostSmokeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Echo_with_prefix_through_testhost()
    {
        await using var app = await TestApp.StartTestHostAsync(a =>
        {
            a.UseWebSocketHandler("/echo", new EchoMessageHandler("Received:  "));
            a.Run(c => c.Response.WriteAsync("fallthrough"));
        });
        var client = app.TestServer.CreateWebSocketClient();
        using var socket = await client.ConnectAsync(new Uri("ws://localhost/echo"), Ct);

        await socket.SendAsync(Encoding.UTF8.GetBytes("Hello, world!"), WebSocketMessageType.Text, true, Ct);
        var buffer = new byte[256];
        var result = await socket.ReceiveAsync(buffer, Ct);
        Assert.Equal("Received:  Hello, world!", Encoding.UTF8.GetString(buffer, 0, result.Count));

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);

        using var http = app.TestServer.CreateClient();
        Assert.Equal("fallthrough", await http.GetStringAsync(new Uri("http://localhost/echo"), Ct));
        Assert.Equal("fallthrough", await http.GetStringAsync(new Uri("http://localhost/other"), Ct));
    }
}
