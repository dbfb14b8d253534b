using System.Net.WebSockets;
using WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>Several clients at once against the README's chat handler (it pushes to all): what one sends reaches all.</summary>
public sealed class SeveralClientsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The test docs/testing.md shows (there with its own app; the packaging tests compile and run that one as it stands).</summary>
    [Fact]
    public async Task What_one_member_sends_reaches_both()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await InMemoryApp.StartChatAsync();
        await using var alice = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: ct);
        await using var bob = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: ct);

        await alice.SendTextAsync("hi", ct);

        Assert.Equal("hi", await alice.ReceiveTextAsync(ct));
        Assert.Equal("hi", await bob.ReceiveTextAsync(ct));
    }

    [Fact]
    public async Task Ten_members_each_receive_every_line_in_the_order_it_was_sent()
    {
        await using var app = await InMemoryApp.StartChatAsync();
        var members = new List<WebSocketTestClient>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                members.Add(await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct));
            }

            await members[3].SendTextAsync("first", Ct);
            Assert.All(await Task.WhenAll(members.Select(m => m.ReceiveTextAsync(Ct))), line => Assert.Equal("first", line));
            await members[7].SendTextAsync("second", Ct);
            Assert.All(await Task.WhenAll(members.Select(m => m.ReceiveTextAsync(Ct))), line => Assert.Equal("second", line));
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
        await using var app = await InMemoryApp.StartChatAsync();
        await using var alice = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await using var bob = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await using var carol = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await carol.CloseAsync(cancellationToken: Ct);
        await alice.SendTextAsync("still here?", Ct);

        Assert.Equal("still here?", await alice.ReceiveTextAsync(Ct));
        Assert.Equal("still here?", await bob.ReceiveTextAsync(Ct));
        Assert.Equal(WebSocketState.Closed, carol.State);
    }

    [Fact]
    public async Task Binary_message_closes_only_its_sender_with_1003_Text_only()
    {
        await using var app = await InMemoryApp.StartChatAsync();
        await using var alice = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await using var bob = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await bob.SendBinaryAsync(new byte[] { 1, 2 }, Ct);
        await bob.ExpectCloseAsync(WebSocketCloseStatus.InvalidMessageType, "Text only", Ct);
        await alice.SendTextAsync("bob?", Ct);

        Assert.Equal("bob?", await alice.ReceiveTextAsync(Ct));
    }
}
