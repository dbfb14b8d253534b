using System.Text;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>Payloads and client frames for the conformance cases.</summary>
internal static class TestPayloads
{
    /// <summary>A UTF-8 text of <paramref name="length"/> bytes (printable ASCII, so every length is valid).</summary>
    public static byte[] Text(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(' ' + (i % 95));
        }

        return bytes;
    }

    /// <summary>A binary payload of <paramref name="length"/> bytes that cycles through every byte value.</summary>
    public static byte[] Binary(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7);
        }

        return bytes;
    }

    /// <summary>The payload of <paramref name="opcode"/> (text or binary) of <paramref name="length"/> bytes.</summary>
    public static byte[] For(byte opcode, int length) => opcode == Frame.Text ? Text(length) : Binary(length);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A masked client frame.</summary>
    public static byte[] ClientFrame(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0) =>
        RawWebSocketClient.BuildFrame(opcode, payload, fin, mask: true, rsv);

    /// <summary>Concatenates frames (or any byte strings) into what one TCP write sends.</summary>
    public static byte[] Join(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>Splits <paramref name="payload"/> into a fragmented message: the first frame has <paramref name="opcode"/>, the rest are continuations.</summary>
    public static byte[] Fragmented(byte opcode, ReadOnlySpan<byte> payload, params int[] cuts)
    {
        var frames = new List<byte[]>();
        var start = 0;
        var bounds = cuts.Append(payload.Length).ToArray();
        for (var i = 0; i < bounds.Length; i++)
        {
            var end = bounds[i];
            frames.Add(ClientFrame(i == 0 ? opcode : Frame.Continuation, payload[start..end], fin: i == bounds.Length - 1));
            start = end;
        }

        return Join([.. frames]);
    }

    /// <summary>Hex for test names: "ED A0 80".</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
}
