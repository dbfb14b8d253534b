using System.Net.WebSockets;
using WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>Several clients at once against the README's chat handler: what one sends reaches all.</summary>
public sealed class SeveralClientsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The test docs/testing.md shows (there with its own app; the packaging tests compile and run that one as it stands).</summary>
    [Fact]
    public async Task What_one_member_sends_reaches_both()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await InMemoryApp.StartAsync("/chat", new ChatHandler());
        await using var alice = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: ct);
        await using var bob = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: ct);

        await alice.SendTextAsync("hi", ct);

        Assert.Equal("anonymous: hi", await alice.ReceiveTextAsync(ct));
        Assert.Equal("anonymous: hi", await bob.ReceiveTextAsync(ct));
    }

    [Fact]
    public async Task Ten_members_each_receive_every_line_in_the_order_it_was_sent()
    {
        var handler = new ChatHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        var members = new List<WebSocketTestClient>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                members.Add(await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct));
            }

            await members[3].SendTextAsync("first", Ct);
            Assert.All(await Task.WhenAll(members.Select(m => m.ReceiveTextAsync(Ct))), line => Assert.Equal("anonymous: first", line));
            await members[7].SendTextAsync("second", Ct);
            Assert.All(await Task.WhenAll(members.Select(m => m.ReceiveTextAsync(Ct))), line => Assert.Equal("anonymous: second", line));
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Member_who_left_gets_nothing_more_and_the_others_carry_on()
    {
        var handler = new ChatHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var alice = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await using var bob = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await using var carol = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await carol.CloseAsync(cancellationToken: Ct);
        await alice.SendTextAsync("still here?", Ct);

        Assert.Equal("anonymous: still here?", await alice.ReceiveTextAsync(Ct));
        Assert.Equal("anonymous: still here?", await bob.ReceiveTextAsync(Ct));
        Assert.Equal(WebSocketState.Closed, carol.State);
    }

    [Fact]
    public async Task Binary_message_closes_only_its_sender_with_1003_Text_only()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", new ChatHandler());
        await using var alice = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await using var bob = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await bob.SendBinaryAsync(new byte[] { 1, 2 }, Ct);
        await bob.ExpectCloseAsync(WebSocketCloseStatus.InvalidMessageType, "Text only", Ct);
        await alice.SendTextAsync("bob?", Ct);

        Assert.Equal("anonymous: bob?", await alice.ReceiveTextAsync(Ct));
    }
}
