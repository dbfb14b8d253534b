using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Echo;

/// <summary>The README's promises in one pass each, over real Kestrel and through TestHost; the other folders cover each area in depth.</summary>
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
    public async Task Echo_with_prefix_through_testhost()
    {
        await using var app = await TestApp.StartTestHostAsync(a =>
        {
            a.UseWebSocketHandler("/echo", new EchoMessageHandler("Received:  "));
            a.Run(c => c.Response.WriteAsync("fallthrough"));
        });
        await using (var client = await app.ConnectTestClientAsync("/echo"))
        {
            await client.SendTextAsync("Hello, world!", Ct);
            Assert.Equal("Received:  Hello, world!", await client.ReceiveTextAsync(Ct));

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        }

        using var http = app.TestServer.CreateClient();
        Assert.Equal("fallthrough", await http.GetStringAsync(new Uri("http://localhost/echo"), Ct));
        Assert.Equal("fallthrough", await http.GetStringAsync(new Uri("http://localhost/other"), Ct));
    }
}
