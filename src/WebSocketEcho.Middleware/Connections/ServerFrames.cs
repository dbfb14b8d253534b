using System.Buffers.Binary;
using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Encodes whole, unfragmented, uncompressed server data frames (RFC 6455 section 5.2: FIN set, no mask), so a batch
/// of pushed messages can be written to the transport in one write.
/// </summary>
internal static class ServerFrames
{
    /// <summary>Gets the size of the frame that carries a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int Size(int payloadLength) => HeaderLength(payloadLength) + payloadLength;

    /// <summary>Writes one frame into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        destination[0] = (byte)(0x80 | (type == WebSocketMessageType.Binary ? 0x2 : 0x1));
        var header = HeaderLength(payload.Length);
        switch (header)
        {
            case 2:
                destination[1] = (byte)payload.Length;
                break;
            case 4:
                destination[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
                break;
            default:
                destination[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
                break;
        }

        payload.CopyTo(destination[header..]);
        return header + payload.Length;
    }

    private static int HeaderLength(int payloadLength) => payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10;
}
