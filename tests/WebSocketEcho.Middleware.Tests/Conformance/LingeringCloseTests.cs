using System.Diagnostics;
using System.IO.Pipelines;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// The lingering close after the server failed a connection (RFC 6455 section 7.1.1: the server should close TCP
/// first): it reads and discards what the peer still sends, and ends as soon as the peer's close frame has gone by,
/// since that peer now only waits for the server to close TCP; a close frame the peer wrote inside a frame it
/// declared and never finished is payload, so then the linger waits for the peer to go quiet.
/// </summary>
public sealed class LingeringCloseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lingering_ends_as_soon_as_the_peers_close_frame_has_gone_by_without_waiting_for_quiet()
    {
        var peer = new Pipe();
        var transport = new TransportStream(peer.Reader.AsStream(), maxFragmentsPerMessage: 16);

        // Data, then the close frame split across two writes; the peer then sends nothing and keeps TCP open.
        var close = TestPayloads.ClientFrame(Frame.Close, RawWebSocketClient.ClosePayload(1009, "too big"));
        await peer.Writer.WriteAsync(TestPayloads.Join(TestPayloads.ClientFrame(Frame.Binary, TestPayloads.Binary(300)), close.AsSpan(0, 5).ToArray()), Ct);
        var draining = transport.DrainAsync(quietPeriod: TimeSpan.FromMinutes(1), maxDuration: TimeSpan.FromMinutes(2), maxBytes: 1 << 20);
        await peer.Writer.WriteAsync(close.AsMemory(5), Ct);

        // Only the close frame can end it this soon: quiet would take a minute.
        var stillSending = await draining.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.False(stillSending);
    }

    [Fact]
    public async Task A_close_frame_inside_an_unfinished_frame_is_payload_and_lingering_waits_for_quiet()
    {
        var quiet = TimeSpan.FromSeconds(1);
        var peer = new Pipe();
        var transport = new TransportStream(peer.Reader.AsStream(), maxFragmentsPerMessage: 16);

        // A frame that declares 4 MiB, 1000 bytes of it, then what would be a close frame: still that frame's payload.
        byte[] header = [0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0];
        await peer.Writer.WriteAsync(TestPayloads.Join(header, new byte[1000], TestPayloads.ClientFrame(Frame.Close, RawWebSocketClient.ClosePayload(1009))), Ct);
        var started = Stopwatch.GetTimestamp();

        var stillSending = await transport.DrainAsync(quiet, maxDuration: TimeSpan.FromMinutes(1), maxBytes: 1 << 20).WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.False(stillSending);
        // Ending at the close frame would take milliseconds; the quiet period takes 1 s (timers are coarse, hence half).
        Assert.True(Stopwatch.GetElapsedTime(started) >= quiet / 2, "the linger ended at a close frame that was payload");
    }

    [Fact]
    public async Task Lingering_stops_at_its_time_bound_while_the_peer_keeps_sending_and_says_so()
    {
        var peer = new Pipe();
        var transport = new TransportStream(peer.Reader.AsStream(), maxFragmentsPerMessage: 16);
        using var stop = new CancellationTokenSource();
        var frame = TestPayloads.ClientFrame(Frame.Binary, TestPayloads.Binary(1000));
        var sending = Task.Run(
            async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await peer.Writer.WriteAsync(frame, CancellationToken.None);
                    await Task.Delay(5, CancellationToken.None);
                }
            },
            CancellationToken.None);

        // Quiet would take a minute; only the time bound ends it.
        var stillSending = await transport.DrainAsync(TimeSpan.FromMinutes(1), maxDuration: TimeSpan.FromMilliseconds(300), maxBytes: 1 << 30).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await stop.CancelAsync();
        await sending;

        Assert.True(stillSending);
    }
}
