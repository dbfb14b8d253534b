using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Limits;

public sealed class FragmentLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Endless_stream_of_empty_fragments_closes_with_1009_under_the_default_limit()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);

        // One text frame without FIN, then far more empty continuation frames than the default 4096, in one write.
        var fragments = new MemoryStream();
        fragments.Write(RawWebSocketClient.BuildFrame(Frame.Text, [], fin: false));
        var empty = RawWebSocketClient.BuildFrame(Frame.Continuation, [], fin: false);
        for (var i = 0; i < 2 * new WebSocketHandlerOptions().MaxFragmentsPerMessage; i++)
        {
            fragments.Write(empty);
        }

        await raw.WriteRawAsync(fragments.ToArray(), Ct);

        var close = await raw.ReadUntilCloseAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(1009, close?.CloseStatus);
        Assert.Equal("Too many fragments", close?.CloseReason);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
        Assert.Empty(handler.Messages);
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Category == Log.Category && r.Id.Id == 13);
    }

    /// <summary>
    /// A server that brings its own WebSocket (TestHost here) gives the middleware no transport to count frame headers
    /// on: the limit then counts the fragment ends the receive results show, which for fragments of a few bytes is every
    /// one. Three fragments are echoed under a limit of 3; four are refused with 1009.
    /// </summary>
    [Theory]
    [InlineData(3, false)]
    [InlineData(4, true)]
    public async Task On_a_server_with_its_own_WebSocket_the_limit_counts_the_fragments_the_receive_results_show(int fragments, bool refused)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler, o => o.MaxFragmentsPerMessage = 3);
        using var client = await app.ConnectTestHostAsync(TestApp.HandlerPath);

        for (var i = 0; i < fragments; i++)
        {
            await client.SendAsync("abc"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: i == fragments - 1, Ct);
        }

        var reply = await client.ReceiveMessageAsync();
        if (refused)
        {
            Assert.Equal(WebSocketMessageType.Close, reply.Type);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, reply.CloseStatus);
            Assert.Equal("Too many fragments", reply.CloseDescription);
        }
        else
        {
            Assert.Equal(string.Concat(Enumerable.Repeat("abc", fragments)), reply.Text);
        }
    }
}
