namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The holding instance's answer to a <see cref="GroupChangeRequest"/>, sent on the requester's channel:
/// <c>[version 1][type 3] responder:string requestId:u64 found:u8</c>.
/// </summary>
internal sealed record GroupChangeAnswer(string Responder, ulong RequestId, bool Found)
{
    public byte[] Encode()
    {
        var size = WireFormat.HeaderLength + FrameWriter.SizeOf(Responder) + sizeof(ulong) + 1;
        var frame = new byte[size];
        var writer = new FrameWriter(frame, FrameType.GroupChangeAnswer);
        writer.WriteString(Responder);
        writer.WriteUInt64(RequestId);
        writer.WriteByte(Found ? (byte)1 : (byte)0);
        return frame;
    }

    public static bool TryDecode(ReadOnlySpan<byte> frame, out GroupChangeAnswer? answer)
    {
        answer = null;
        var reader = new FrameReader(frame);
        if (!reader.TryReadName(out var responder)
            || !reader.TryReadUInt64(out var requestId)
            || !reader.TryReadByte(out var found)
            || found > 1
            || !reader.AtEnd)
        {
            return false;
        }

        answer = new GroupChangeAnswer(responder, requestId, found == 1);
        return true;
    }
}
