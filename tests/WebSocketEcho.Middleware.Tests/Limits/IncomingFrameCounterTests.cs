using WebSocketEcho.Middleware.Tests.Conformance;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Limits;

/// <summary>
/// The frame counter behind an exact MaxFragmentsPerMessage follows the peer's bytes however the reads split them
/// (inside a header, its extended length or masking key, or a payload), over every length encoding, masked or not,
/// with control frames between fragments, and names the first message over the limit by its number as soon as the
/// header of its frame over the limit has been read. It also notes a whole close frame, for the lingering close.
/// </summary>
public sealed class IncomingFrameCounterTests
{
    private const int Limit = 4;

    /// <summary>
    /// Message 1: <see cref="Limit"/> frames (allowed) with a ping between two of them. Message 2: one frame of 70,000
    /// bytes (64-bit length). Message 3: <see cref="Limit"/> + 1 frames over the 7- and 16-bit length encodings, an
    /// empty one first, one unmasked, a pong between two of them. Then message 4.
    /// </summary>
    private static readonly byte[][] s_frames =
    [
        Bytes(Frame.Text, 3, fin: false),
        Bytes(Frame.Ping, 5),
        Bytes(Frame.Continuation, 200, fin: false),
        Bytes(Frame.Continuation, 0, fin: false),
        Bytes(Frame.Continuation, 1),
        Bytes(Frame.Binary, 70_000),
        Bytes(Frame.Binary, 0, fin: false),
        Bytes(Frame.Continuation, 125, fin: false),
        Bytes(Frame.Continuation, 126, fin: false, mask: false),
        Bytes(Frame.Pong, 0),
        Bytes(Frame.Continuation, 65_535, fin: false),
        Bytes(Frame.Continuation, 2), // message 3's 5th frame
        Bytes(Frame.Text, 1),
    ];

    public static TheoryData<int> ReadSizes() => [1, 2, 3, 5, 7, 13, 64, 100_000];

    [Theory]
    [MemberData(nameof(ReadSizes))]
    public void Message_of_limit_plus_one_frames_is_named_by_its_number_whatever_the_read_size(int readSize)
    {
        var wire = TestPayloads.Join(s_frames);
        var counter = new IncomingFrameCounter(Limit);

        for (var offset = 0; offset < wire.Length; offset += readSize)
        {
            counter.Advance(wire.AsSpan(offset, Math.Min(readSize, wire.Length - offset)));
        }

        Assert.Equal(3, counter.FirstMessageOverLimit);
    }

    [Fact]
    public void Message_over_the_limit_is_named_with_the_last_header_byte_of_its_frame_over_the_limit_not_before()
    {
        var wire = TestPayloads.Join(s_frames);
        var fifthFrameStart = wire.Length - s_frames[^1].Length - s_frames[^2].Length;
        var counter = new IncomingFrameCounter(Limit);

        counter.Advance(wire.AsSpan(0, fifthFrameStart + 5)); // its 2-byte header and 3 of its 4 masking key bytes
        Assert.Equal(0, counter.FirstMessageOverLimit);

        counter.Advance(wire.AsSpan(fifthFrameStart + 5, 1));
        Assert.Equal(3, counter.FirstMessageOverLimit);
    }

    [Fact]
    public void Message_of_exactly_the_limit_is_never_named()
    {
        var counter = new IncomingFrameCounter(Limit);

        counter.Advance(TestPayloads.Join(
            Bytes(Frame.Binary, 0, fin: false),
            Bytes(Frame.Continuation, 0, fin: false),
            Bytes(Frame.Ping, 0),
            Bytes(Frame.Continuation, 0, fin: false),
            Bytes(Frame.Continuation, 0),
            Bytes(Frame.Binary, 0, fin: false),
            Bytes(Frame.Continuation, 0)));

        Assert.Equal(0, counter.FirstMessageOverLimit);
    }

    [Fact]
    public void Close_frame_is_noted_once_its_last_payload_byte_has_gone_by_and_not_inside_another_frames_payload()
    {
        var counter = new IncomingFrameCounter(Limit);
        var close = Bytes(Frame.Close, 2);

        // Inside a binary frame's payload, the same bytes are payload.
        counter.Advance(RawWebSocketClient.BuildFrame(Frame.Binary, close, mask: false));
        Assert.False(counter.CloseFrameReceived);

        counter.Advance(close.AsSpan(0, close.Length - 1));
        Assert.False(counter.CloseFrameReceived);
        counter.Advance(close.AsSpan(close.Length - 1));
        Assert.True(counter.CloseFrameReceived);
    }

    private static byte[] Bytes(byte opcode, int length, bool fin = true, bool mask = true) =>
        RawWebSocketClient.BuildFrame(opcode, TestPayloads.Binary(length), fin, mask);
}
