using System.Globalization;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Messages one caller sends to one connection arrive in the order sent, also while the connection's handler replies to
/// every message the client sends and other callers push at the same time: at the client, each stream (the handler's
/// replies, each pusher's numbered pushes) is complete and in order. Real Kestrel frames and TestHost, many messages.
/// </summary>
public sealed class PushOrderingTests
{
    private const int Clients = 4;
    private const int Messages = 1500;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Handler_replies_and_two_background_pushers_interleave_and_each_stream_stays_in_order_at_every_client(bool kestrel)
    {
        await using var app = await PushApp.StartAsync(
            kestrel,
            a => a.UseWebSocketHandler<ReplyingHandler>("/ws"),
            services => services.AddWebSocketHandler<ReplyingHandler>());
        var members = new Member[Clients];
        for (var i = 0; i < Clients; i++)
        {
            members[i] = await app.ConnectAsync("/ws");
        }

        var push = app.Push<ReplyingHandler>();
        foreach (var member in members)
        {
            Assert.True(await push.AddToGroupAsync(member.Id, "everyone", Ct));
        }

        // At every client: "r" = the handler's replies to its own messages, "c" = pushes to its connection id one by one
        // (one caller), "g" = pushes to the group (another caller). All run at once.
        var receiving = members.Select(member => Task.Run(() => ReceiveStreamsAsync(member), Ct)).ToArray();
        var sending = members.Select(member => Task.Run(() => SendNumberedAsync(member), Ct)).ToArray();
        var byConnection = Task.Run(
            async () =>
            {
                for (var i = 0; i < Messages; i++)
                {
                    foreach (var member in members)
                    {
                        Assert.Equal(1, (await push.Connection(member.Id).SendTextAsync(Numbered("c", i), Ct)).Reached);
                    }
                }
            },
            Ct);
        var byGroup = Task.Run(
            async () =>
            {
                for (var i = 0; i < Messages; i++)
                {
                    Assert.Equal(Clients, (await push.Group("everyone").SendTextAsync(Numbered("g", i), Ct)).Reached);
                }
            },
            Ct);

        await Task.WhenAll([.. sending, byConnection, byGroup]).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        var counts = await Task.WhenAll(receiving).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.All(counts, c => Assert.Equal(3 * Messages, c));
        foreach (var member in members)
        {
            await app.ExpectExactlyAsync<ReplyingHandler>(member);
            member.Dispose();
        }
    }

    private static string Numbered(string stream, int number) => stream + ":" + number.ToString(CultureInfo.InvariantCulture);

    private static async Task SendNumberedAsync(Member member)
    {
        for (var i = 0; i < Messages; i++)
        {
            await member.SendAsync(Numbered("m", i));
        }
    }

    /// <summary>Reads the three streams until each is complete; fails at the first message out of order. Returns the count.</summary>
    private static async Task<int> ReceiveStreamsAsync(Member member)
    {
        var next = new Dictionary<string, int>(StringComparer.Ordinal) { ["r"] = 0, ["c"] = 0, ["g"] = 0 };
        var received = 0;
        while (next.Values.Any(n => n < Messages))
        {
            var message = await member.ReceiveAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(WebSocketMessageType.Text, message.Type);
            var parts = message.Text.Split(':');
            Assert.True(next.ContainsKey(parts[0]), $"Unexpected message '{message.Text}'.");
            var number = int.Parse(parts[1], CultureInfo.InvariantCulture);
            Assert.True(number == next[parts[0]], $"Stream '{parts[0]}' at {member.Id}: expected {next[parts[0]]}, got {number} (after {received} messages).");
            next[parts[0]] = number + 1;
            received++;
        }

        return received;
    }

    /// <summary>Replies "r:n" to every "m:n" (its own send, through the connection's single writer).</summary>
    private sealed class ReplyingHandler : IMessageHandler
    {
        public async ValueTask OnConnectedAsync(IWebSocketConnection connection) =>
            await connection.SendTextAsync(AlphaHandler.IdPrefix + connection.Id);

        public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
            await connection.SendTextAsync("r" + message.GetText()[1..]);
    }
}
