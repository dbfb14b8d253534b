using System.Buffers.Text;
using System.Globalization;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The published message, the same text on both servers: 16 hex digits of sequence number, 16 hex digits of the
/// publisher's <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> (CLOCK_MONOTONIC on Linux, so the client in
/// another process on the same machine can subtract it from its own), then padding up to the message size that
/// depends on the sequence number, so a stale, shifted or garbled message cannot pass for the right one. Only
/// [0-9a-zA-Z]: SignalR's JSON protocol writes it into a string without escaping.
/// </summary>
internal static class FanoutPayload
{
    /// <summary>The sequence number and the timestamp.</summary>
    public const int HeaderLength = 32;

    /// <summary>The largest message the benchmark publishes.</summary>
    public const int MaxSize = 64 * 1024;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>The alphabet repeated, so the padding of any sequence number is one slice of it.</summary>
    private static readonly byte[] s_pattern = [.. Enumerable.Range(0, Alphabet.Length + MaxSize).Select(i => (byte)Alphabet[i % Alphabet.Length])];

    /// <summary>Builds message <paramref name="sequence"/> of <paramref name="size"/> bytes, stamped with <paramref name="timestamp"/>.</summary>
    public static string Create(long sequence, long timestamp, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, HeaderLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);
        return string.Create(size, (sequence, timestamp), static (span, state) =>
        {
            state.sequence.TryFormat(span[..16], out _, "x16", CultureInfo.InvariantCulture);
            state.timestamp.TryFormat(span[16..HeaderLength], out _, "x16", CultureInfo.InvariantCulture);
            var padding = Padding(state.sequence, span.Length);
            for (var i = 0; i < padding.Length; i++)
            {
                span[HeaderLength + i] = (char)padding[i];
            }
        });
    }

    /// <summary>
    /// Reads a received message that must be <paramref name="size"/> bytes: its sequence number and timestamp, and
    /// whether every padding byte is right. Returns what is wrong with it, or null.
    /// </summary>
    public static string? Read(ReadOnlySpan<byte> message, int size, out long sequence, out long timestamp)
    {
        sequence = timestamp = 0;
        if (message.Length != size)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{message.Length} bytes instead of {size}");
        }

        if (!Utf8Parser.TryParse(message[..16], out ulong parsedSequence, out var used, 'x') || used != 16
            || !Utf8Parser.TryParse(message[16..HeaderLength], out ulong parsedTimestamp, out used, 'x') || used != 16)
        {
            return "no sequence number or timestamp at the start";
        }

        sequence = (long)parsedSequence;
        timestamp = (long)parsedTimestamp;
        var padding = message[HeaderLength..];
        var expected = Padding(sequence, size);
        if (!padding.SequenceEqual(expected))
        {
            var at = padding.CommonPrefixLength(expected);
            return string.Create(CultureInfo.InvariantCulture, $"byte {HeaderLength + at} is 0x{padding[at]:x2}, expected 0x{expected[at]:x2}");
        }

        return null;
    }

    private static ReadOnlySpan<byte> Padding(long sequence, int size) =>
        s_pattern.AsSpan((int)((sequence + HeaderLength) % Alphabet.Length), size - HeaderLength);
}
