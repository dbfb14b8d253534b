using Microsoft.AspNetCore.Mvc.Testing;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>WebApplicationFactory needs nothing of its own: its Server is a TestServer. Here the sample app, in memory.</summary>
public sealed class WebApplicationFactoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sample_app_through_factory_Server_echoes_with_the_chapters_prefix_and_refuses_a_foreign_origin()
    {
        await using var factory = new WebApplicationFactory<Program>();

        await using (var client = await factory.Server.ConnectWebSocketAsync("/echo", cancellationToken: Ct))
        {
            await client.SendTextAsync("Hello, world!", Ct);
            Assert.Equal("Received:  Hello, world!", await client.ReceiveTextAsync(Ct));
        }

        var refused = await Assert.ThrowsAsync<WebSocketHandshakeRefusedException>(
            () => factory.Server.ConnectWebSocketAsync("/echo", o => o.Headers.Origin = "https://evil.example", Ct));
        Assert.Equal(403, refused.StatusCode);
    }
}
