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

    [Theory]
    [InlineData(8, true)]
    [InlineData(9, false)]
    public async Task Message_of_n_one_byte_fragments_is_delivered_up_to_MaxFragmentsPerMessage_and_closed_with_1009_beyond(int fragments, bool delivered)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => o.MaxFragmentsPerMessage = 8));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);

        for (var i = 0; i < fragments; i++)
        {
            await raw.SendFrameAsync(i == 0 ? Frame.Text : Frame.Continuation, "abcdefghij"u8.Slice(i, 1), fin: i == fragments - 1, cancellationToken: Ct);
        }

        var frame = await raw.ReadFrameAsync(cancellationToken: Ct);
        if (delivered)
        {
            Assert.Equal(Frame.Text, frame.Opcode);
            Assert.Equal("abcdefghij"[..fragments], frame.TextPayload);
        }
        else
        {
            Assert.Equal(1009, frame.CloseStatus);
            Assert.Empty(handler.Messages);
        }
    }
}
