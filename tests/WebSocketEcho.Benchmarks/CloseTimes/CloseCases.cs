using System.Buffers.Binary;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.CloseTimes;

/// <summary>How the peer breaks the protocol or a limit, so that the server fails the connection.</summary>
internal enum Failure
{
    /// <summary>
    /// 1002: a text frame "hello" without the mask bit (client frames must be masked). At least 4 payload bytes: the
    /// platform reads 6 header bytes (2 + a masking key) before it looks at the mask bit, so a shorter unmasked frame
    /// with nothing after it is never answered.
    /// </summary>
    UnmaskedFrame,

    /// <summary>1002: a frame with reserved opcode 3.</summary>
    ReservedOpcode,

    /// <summary>1007: a text message whose bytes are not UTF-8 ("ok" then C0 AF).</summary>
    InvalidUtf8,

    /// <summary>1009, issue 12's case: a frame declaring 4 MiB, of which only 1 MiB + 1 bytes follow.</summary>
    DeclaredTooBig,

    /// <summary>1009: a whole 2 MiB message, sent before reading anything.</summary>
    WholeTooBig,

    /// <summary>1009: a message in 4097 frames (4096 allowed), all sent at once, never finished.</summary>
    TooManyFragments,

    /// <summary>1008: the peer stops reading (4 KiB receive buffer) while the server pushes 16 KiB messages until 1 MiB is queued.</summary>
    SendBufferFull,
}

/// <summary>What the peer does once it has sent the failing bytes.</summary>
internal enum Peer
{
    /// <summary>Stops in the middle of a frame (the header of a 1000-byte frame and 10 bytes of it) and sends nothing more; it reads.</summary>
    SilentMidFrame,

    /// <summary>Answers the server's close frame with its own, as RFC clients do, then waits.</summary>
    AnswersClose,

    /// <summary>Goes on sending a 1 KiB frame every 10 ms for 1.5 s, then stops; it reads meanwhile.</summary>
    SendsThenStops,

    /// <summary>Sends a 1 KiB frame every 10 ms until TCP ends; it reads meanwhile.</summary>
    NeverStops,
}

/// <summary>The bytes of each case, built with <see cref="WireFrames"/> (masked client frames) or by hand where the frame must be wrong.</summary>
internal static class CloseCases
{
    /// <summary>How long <see cref="Peer.SendsThenStops"/> goes on sending: longer than the server's 250 ms quiet period.</summary>
    public static readonly TimeSpan SendingFor = TimeSpan.FromSeconds(1.5);

    private const int MaxMessageSize = 1024 * 1024;
    private const int MaxFragments = 4096;

    public static int ExpectedStatus(Failure failure) => failure switch
    {
        Failure.UnmaskedFrame or Failure.ReservedOpcode => 1002,
        Failure.InvalidUtf8 => 1007,
        Failure.SendBufferFull => 1008,
        _ => 1009,
    };

    public static string Describe(Failure failure) => failure switch
    {
        Failure.UnmaskedFrame => "1002 unmasked frame",
        Failure.ReservedOpcode => "1002 reserved opcode",
        Failure.InvalidUtf8 => "1007 invalid UTF-8",
        Failure.DeclaredTooBig => "1009 4 MiB declared, 1 MiB + 1 sent",
        Failure.WholeTooBig => "1009 whole 2 MiB message",
        Failure.TooManyFragments => "1009 4097 fragments",
        Failure.SendBufferFull => "1008 send buffer full",
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };

    public static string Describe(Peer peer) => peer switch
    {
        Peer.SilentMidFrame => "silent mid-frame",
        Peer.AnswersClose => "answers the close",
        Peer.SendsThenStops => "sends 1.5 s, stops",
        Peer.NeverStops => "never stops sending",
        _ => throw new ArgumentOutOfRangeException(nameof(peer)),
    };

    /// <summary>The bytes that make the server fail the connection (none for <see cref="Failure.SendBufferFull"/>: the server's pushes do).</summary>
    public static byte[] Failing(Failure failure) => failure switch
    {
        Failure.UnmaskedFrame => [0x81, 0x05, .. "hello"u8],
        Failure.ReservedOpcode => WireFrames.Masked(0x3, "x"u8),
        Failure.InvalidUtf8 => WireFrames.Masked(WireFrames.Text, [(byte)'o', (byte)'k', 0xC0, 0xAF]),
        Failure.DeclaredTooBig => [.. Header(0x2, fin: true, 4 * 1024 * 1024), .. new byte[MaxMessageSize + 1]],
        Failure.WholeTooBig => [.. Header(0x2, fin: true, 2 * MaxMessageSize), .. new byte[2 * MaxMessageSize]],
        Failure.TooManyFragments => Fragments(MaxFragments + 1),
        Failure.SendBufferFull => [],
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };

    /// <summary>
    /// What a <see cref="Peer.SilentMidFrame"/> peer sends after the failing bytes: the start of a frame it never finishes
    /// (a continuation inside the unfinished fragmented message). Nothing in issue 12's case: it is mid-frame already.
    /// </summary>
    public static byte[] MidFrame(Failure failure, Peer peer) => peer != Peer.SilentMidFrame || failure == Failure.DeclaredTooBig
        ? []
        : [.. Header(failure == Failure.TooManyFragments ? (byte)0x0 : (byte)0x2, fin: false, 1000), .. new byte[10]];

    /// <summary>One 1 KiB binary frame, what sending peers keep sending.</summary>
    public static byte[] Filler() => WireFrames.Masked(0x2, new byte[1024]);

    /// <summary>The peer's answer to the server's close frame: a close frame with the same status.</summary>
    public static byte[] CloseAnswer(int status) => WireFrames.Masked(WireFrames.Close, [(byte)(status >> 8), (byte)status]);

    /// <summary>A masked frame header in the 64-bit length form, mask key 0 (the payload goes out as it is).</summary>
    private static byte[] Header(byte opcode, bool fin, long length)
    {
        var header = new byte[14];
        header[0] = (byte)((fin ? 0x80 : 0) | opcode);
        header[1] = 0x80 | 127;
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(2), length);
        return header;
    }

    /// <summary>The first <paramref name="frames"/> frames of a binary message (3 bytes each, FIN never set).</summary>
    private static byte[] Fragments(int frames)
    {
        byte[] payload = [1, 2, 3];
        using var bytes = new MemoryStream();
        for (var i = 0; i < frames; i++)
        {
            var frame = WireFrames.Masked(i == 0 ? (byte)0x2 : (byte)0x0, payload);
            frame[0] &= 0x7F; // not the final fragment
            bytes.Write(frame);
        }

        return bytes.ToArray();
    }
}
