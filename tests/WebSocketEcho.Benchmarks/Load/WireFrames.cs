using System.Buffers.Binary;
using System.Text;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// The bytes the load client writes, built once: the upgrade request and masked client frames (RFC 6455 section 5.2:
/// every client frame is masked). Each connection sends the same pre-built frame, so the client spends no CPU on framing.
/// </summary>
internal static class WireFrames
{
    public const byte Text = 0x1;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    private const uint MaskKey = 0x5A17C3E9;

    public static byte[] UpgradeRequest(string host, string path) =>
        Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

    /// <summary>A text message of <paramref name="length"/> printable ASCII bytes (valid UTF-8, one byte per char).</summary>
    public static byte[] TextPayload(int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            payload[i] = (byte)Alphabet[(i * 7) % Alphabet.Length];
        }

        return payload;
    }

    /// <summary>One whole masked client frame (FIN set).</summary>
    public static byte[] Masked(byte opcode, ReadOnlySpan<byte> payload)
    {
        var lengthBytes = payload.Length <= 125 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var header = 2 + lengthBytes + 4;
        var frame = new byte[header + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        switch (lengthBytes)
        {
            case 0:
                frame[1] = (byte)(0x80 | payload.Length);
                break;
            case 2:
                frame[1] = 0x80 | 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = 0x80 | 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }

        Span<byte> mask = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(mask, MaskKey);
        mask.CopyTo(frame.AsSpan(2 + lengthBytes));
        for (var i = 0; i < payload.Length; i++)
        {
            frame[header + i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        return frame;
    }

    /// <summary>A close frame with status 1000 (Normal Closure) and no reason.</summary>
    public static byte[] NormalClose() => Masked(Close, [0x03, 0xE8]);
}
