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
        await using (var client = await app.ConnectTestClientAsync("/echo"))
        {
            await client.SendTextAsync("Hello, world!", Ct);
            Assert.Equal("Received:  Hello, world!", await client.ReceiveTextAsync(Ct));

            await client.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", Ct);
        }

        using var http = app.TestServer.CreateClient();
        Assert.Equal("fallthrough", await http.GetStringAsync(new Uri("http://localhost/echo"), Ct));
        Assert.Equal("fallthrough", await http.GetStringAsync(new Uri("http://localhost/other"), Ct));
    }
}
