using System.Buffers.Binary;
using System.Diagnostics;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// RFC 6455 section 7.1.7, "Fail the WebSocket Connection": when the server fails a connection (1002, 1007, 1008,
/// 1009) its close frame must reach the peer, and TCP must end promptly, not after CloseTimeout: the peer's close frame
/// may never come (it would sit inside a payload the peer declared and never finishes). Each case measures, on the
/// client, the time from reading the server's close frame to the end of TCP, for a peer that is silent in the middle
/// of a frame, one that answers with its close frame, and one that goes on sending for a while: <see cref="Prompt"/>
/// after the close frame or the peer's last byte, well under the server's 10 s CloseTimeout, so a connection that
/// waited for it fails the case however loaded the machine is. A peer that never stops sending is cut off after
/// CloseTimeout (2 s on its endpoints), having read the close frame first.
/// </summary>
public sealed class FailedConnectionEndTests(FailureServer server) : IClassFixture<FailureServer>
{
    /// <summary>
    /// How long a failed connection may take to end after its close frame or the peer's last byte (CloseTimeout is 10 s;
    /// it takes the 250 ms quiet period, and far less after the peer's close frame, but a loaded 2-core machine has been
    /// seen to add 1.7 s to the first invalid-UTF-8 failure of a process).
    /// </summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(4);

    /// <summary>Bounds the end of a connection whose peer never stops sending: the short CloseTimeout and a margin.</summary>
    private static readonly TimeSpan Bounded = FailureServer.ShortCloseTimeout + TimeSpan.FromSeconds(3);

    /// <summary>How long the "sends then stops" peer goes on sending after the failure: longer than the quiet period the server waits for.</summary>
    private static readonly TimeSpan SendingFor = TimeSpan.FromSeconds(1.5);

    private static int _floodIds;

    /// <summary>What the peer does once the server has failed the connection.</summary>
    public enum Peer
    {
        /// <summary>Stops in the middle of a frame (header and part of the payload sent) and sends nothing more; it reads.</summary>
        SilentMidFrame,

        /// <summary>Answers the close frame with its own, as an RFC client does, and then waits for the server to end TCP.</summary>
        AnswersClose,

        /// <summary>Goes on sending 1 KiB frames every 10 ms for <see cref="SendingFor"/>, reading meanwhile, then stops.</summary>
        SendsThenStops,

        /// <summary>Never stops sending 1 KiB frames every 10 ms (until the server ends TCP), reading meanwhile; on the short CloseTimeout endpoints.</summary>
        KeepsSending,
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, Peer> Cases()
    {
        var cases = new TheoryData<string, Peer>();
        foreach (var failure in new[] { "1002 reserved opcode", "1007 invalid UTF-8", "1009 too big", "1009 too many fragments", "1008 send buffer full" })
        {
            foreach (var peer in Enum.GetValues<Peer>())
            {
                cases.Add(failure, peer);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Failed_connection_delivers_its_close_frame_and_TCP_ends_promptly(string failure, Peer peer)
    {
        var status = int.Parse(failure[..4], System.Globalization.CultureInfo.InvariantCulture);
        var flood = status == 1008 ? Interlocked.Increment(ref _floodIds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        var prefix = peer == Peer.KeepsSending ? FailureServer.ShortCloseTimeoutPrefix : string.Empty;
        await using var client = flood is null
            ? await ConnectAsync(prefix + (failure == "1009 too many fragments" ? FailureServer.FragmentLimitedPath : FailureServer.EchoPath))
            : await RawWebSocketClient.ConnectAsync(server.Port, prefix + FailureServer.FloodPath + "?id=" + flood, static socket => socket.ReceiveBufferSize = 4096, cancellationToken: Ct);
        Assert.Equal(101, client.Handshake.StatusCode);
        var stillSendingLogs = server.ClosedWhileStillSendingLogs;

        // The failure, and for a peer silent mid-frame the start of a frame it never finishes. ("1009 too big" is that
        // already: its frame declares 4 MiB and only MaxMessageSize + 1 bytes follow. The flood's peer sends it first,
        // so the server's receive loop waits inside a message when the close starts.)
        var midFrame = peer == Peer.SilentMidFrame && failure != "1009 too big" ? PartialFrame(failure == "1009 too many fragments") : [];
        if (flood is not null)
        {
            await client.WriteRawAsync(midFrame, Ct);
            await server.FloodFailedAsync(flood).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        }
        else
        {
            await client.WriteRawAsync(TestPayloads.Join(Offending(failure), midFrame), Ct);
        }

        using var stopSending = new CancellationTokenSource();
        var sending = peer is Peer.SendsThenStops or Peer.KeepsSending
            ? SendFramesAsync(client, peer == Peer.SendsThenStops ? SendingFor : TimeSpan.FromSeconds(30), stopSending.Token)
            : Task.FromResult(0L);

        var close = await client.ReadUntilCloseAsync(ConformanceAssert.Wait, Ct);
        var closeReadAt = Stopwatch.GetTimestamp();
        Assert.True(close is not null, $"{failure}: the server ended TCP before its close frame could be read.");
        Assert.Equal(status, close.CloseStatus);
        if (peer == Peer.AnswersClose)
        {
            await client.SendCloseAsync(status, cancellationToken: Ct);
        }

        var (end, bytesAfterClose) = await client.WaitForEndAsync(TimeSpan.FromSeconds(20), Ct);
        var endedAt = Stopwatch.GetTimestamp();
        await stopSending.CancelAsync();
        var stoppedSendingAt = await sending;

        var afterClose = Stopwatch.GetElapsedTime(closeReadAt, endedAt);
        var afterLastByte = Stopwatch.GetElapsedTime(Math.Max(closeReadAt, stoppedSendingAt), endedAt);
        TestContext.Current.TestOutputHelper?.WriteLine($"{failure} | {peer} | close frame -> TCP end {afterClose.TotalMilliseconds:0} ms | {end}");

        Assert.Equal(0, bytesAfterClose);
        Assert.NotEqual(TcpEnd.StillOpen, end);
        if (peer == Peer.KeepsSending)
        {
            // The server stops lingering after CloseTimeout while the peer still sends (and logs event 40, unless the
            // peer happened to pause for the quiet period): TCP may then end with a reset, but after the close frame was read.
            Assert.True(afterClose < Bounded, $"{failure}: TCP ended {afterClose.TotalMilliseconds:0} ms after the close frame while the peer kept sending; CloseTimeout is {FailureServer.ShortCloseTimeout}.");
        }
        else
        {
            Assert.Equal(TcpEnd.Fin, end);
            Assert.True(afterLastByte < Prompt, $"{failure}: TCP ended {afterLastByte.TotalMilliseconds:0} ms after the close frame or the peer's last byte; CloseTimeout is {FailureServer.CloseTimeout}.");
        }

        if (peer is Peer.SilentMidFrame or Peer.AnswersClose)
        {
            Assert.Equal(stillSendingLogs, server.ClosedWhileStillSendingLogs);
        }
    }

    private static byte[] Offending(string failure) => failure switch
    {
        "1002 reserved opcode" => TestPayloads.ClientFrame(3, TestPayloads.Utf8("x")),
        "1007 invalid UTF-8" => TestPayloads.ClientFrame(Frame.Text, TestPayloads.Hex("6F6B C0AF")),
        "1009 too big" => TestPayloads.Join(FrameHeader(Frame.Binary, fin: true, 4 * 1024 * 1024), new byte[WebSocketHandlerOptions.DefaultMaxMessageSize + 1]),
        "1009 too many fragments" => TestPayloads.Join(
            [TestPayloads.ClientFrame(Frame.Binary, TestPayloads.Binary(3), fin: false),
            .. Enumerable.Repeat(TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Binary(3), fin: false), FailureServer.MaxFragments)]),
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, "Unknown failure."),
    };

    /// <summary>The start of a frame that declares 1000 bytes and carries 10 (a continuation inside a fragmented message).</summary>
    private static byte[] PartialFrame(bool continuation) =>
        TestPayloads.Join(FrameHeader(continuation ? Frame.Continuation : Frame.Binary, fin: false, 1000), new byte[10]);

    /// <summary>A masked client frame header (64-bit length form) declaring <paramref name="length"/> payload bytes.</summary>
    private static byte[] FrameHeader(byte opcode, bool fin, long length)
    {
        var header = new byte[14];
        header[0] = (byte)((fin ? 0x80 : 0) | opcode);
        header[1] = 0x80 | 127;
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(2), length);
        return header; // mask key 0: the payload bytes go out as they are
    }

    /// <summary>Sends a 1 KiB binary frame every 10 ms for <paramref name="duration"/>, or until TCP or <paramref name="stop"/> ends it; returns when it stopped.</summary>
    private static Task<long> SendFramesAsync(RawWebSocketClient client, TimeSpan duration, CancellationToken stop) => Task.Run(
        async () =>
        {
            var frame = TestPayloads.ClientFrame(Frame.Binary, TestPayloads.Binary(1024));
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            try
            {
                while (Stopwatch.GetTimestamp() < until && !stop.IsCancellationRequested)
                {
                    await client.WriteRawAsync(frame, stop);
                    await Task.Delay(10, stop);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server ended TCP (or the case is over): nothing more can be sent.
            }

            return Stopwatch.GetTimestamp();
        },
        CancellationToken.None);

    private Task<RawWebSocketClient> ConnectAsync(string path) =>
        RawWebSocketClient.ConnectAsync(server.Port, path, cancellationToken: Ct);
}
