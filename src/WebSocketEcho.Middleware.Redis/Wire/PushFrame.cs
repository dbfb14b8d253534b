using System.Net.WebSockets;
using System.Text.Unicode;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// A pushed message on the wire: <c>[version 1][type 1] publisher:string sequence:u64 scope:string targetKind:u8
/// messageType:u8 keys:string[] excluded:string[] payload:bytes</c>. The publisher's instance id lets every instance
/// skip its own messages (the core delivered them locally already); the sequence, increasing per publisher, lets a
/// channel skip a message it has seen (one the publisher sent again after a failure it could not tell apart from a loss).
/// </summary>
internal sealed class PushFrame
{
    private PushFrame(string publisher, ulong sequence, BackplaneMessage message)
    {
        Publisher = publisher;
        Sequence = sequence;
        Message = message;
    }

    public string Publisher { get; }

    public ulong Sequence { get; }

    public BackplaneMessage Message { get; }

    /// <summary>Encodes <paramref name="message"/> with <paramref name="keys"/> in place of its own (one instance's share of the connection ids).</summary>
    public static byte[] Encode(string publisher, ulong sequence, BackplaneMessage message, IReadOnlyList<string> keys)
    {
        var payload = message.Payload.Span;
        var size = WireFormat.HeaderLength
            + FrameWriter.SizeOf(publisher)
            + sizeof(ulong)
            + FrameWriter.SizeOf(message.Scope)
            + 2
            + FrameWriter.SizeOf(keys)
            + FrameWriter.SizeOf(message.ExcludedConnectionIds)
            + FrameWriter.SizeOfBytes(payload.Length);

        // A fresh array, not a pooled one: the multiplexer may still be writing it after a publish has timed out.
        var frame = new byte[size];
        var writer = new FrameWriter(frame, FrameType.Push);
        writer.WriteString(publisher);
        writer.WriteUInt64(sequence);
        writer.WriteString(message.Scope);
        writer.WriteByte((byte)message.TargetKind);
        writer.WriteByte((byte)message.MessageType);
        writer.WriteStrings(keys);
        writer.WriteStrings(message.ExcludedConnectionIds);
        writer.WriteBytes(payload);
        return frame;
    }

    /// <summary>Tells, without decoding the rest, whether a push frame was published by the instance whose id is <paramref name="publisherUtf8"/>.</summary>
    public static bool IsFrom(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> publisherUtf8)
    {
        var reader = new FrameReader(frame);
        return reader.TryReadBytes(out var offset, out var length) && frame.Slice(offset, length).SequenceEqual(publisherUtf8);
    }

    /// <summary>Decodes a push frame (header already checked); false for anything malformed, including invalid UTF-8 text.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> frame, out PushFrame? result)
    {
        result = null;
        var reader = new FrameReader(frame);
        if (!reader.TryReadName(out var publisher)
            || !reader.TryReadUInt64(out var sequence)
            || !reader.TryReadName(out var scope)
            || !reader.TryReadByte(out var kindByte)
            || !reader.TryReadByte(out var typeByte)
            || !reader.TryReadNames(out var keys)
            || !reader.TryReadNames(out var excluded)
            || !reader.TryReadBytes(out var offset, out var length)
            || !reader.AtEnd)
        {
            return false;
        }

        var kind = (PushTargetKind)kindByte;
        var type = (WebSocketMessageType)typeByte;
        if (!Enum.IsDefined(kind)
            || type is not (WebSocketMessageType.Text or WebSocketMessageType.Binary)
            || (kind != PushTargetKind.All && keys.Length == 0))
        {
            return false;
        }

        var payload = frame.Slice(offset, length);
        if (type == WebSocketMessageType.Text && !Utf8.IsValid(payload))
        {
            return false;
        }

        // The payload outlives this call (it waits in the connections' send queues): it gets an array of its own.
        result = new PushFrame(publisher, sequence, new BackplaneMessage(scope, kind, keys, excluded, type, payload.ToArray()));
        return true;
    }
}
