namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// "Add this connection of yours to a group" (or remove it), sent on the channel of the instance holding the
/// connection: <c>[version 1][type 2] requester:string requestId:u64 scope:string connectionId:string group:string join:u8</c>.
/// The holder answers with a <see cref="GroupChangeAnswer"/> on the requester's channel.
/// </summary>
internal sealed record GroupChangeRequest(string Requester, ulong RequestId, string Scope, string ConnectionId, string Group, bool Join)
{
    public byte[] Encode()
    {
        var size = WireFormat.HeaderLength
            + FrameWriter.SizeOf(Requester)
            + sizeof(ulong)
            + FrameWriter.SizeOf(Scope)
            + FrameWriter.SizeOf(ConnectionId)
            + FrameWriter.SizeOf(Group)
            + 1;
        var frame = new byte[size];
        var writer = new FrameWriter(frame, FrameType.GroupChangeRequest);
        writer.WriteString(Requester);
        writer.WriteUInt64(RequestId);
        writer.WriteString(Scope);
        writer.WriteString(ConnectionId);
        writer.WriteString(Group);
        writer.WriteByte(Join ? (byte)1 : (byte)0);
        return frame;
    }

    public static bool TryDecode(ReadOnlySpan<byte> frame, out GroupChangeRequest? request)
    {
        request = null;
        var reader = new FrameReader(frame);
        if (!reader.TryReadName(out var requester)
            || !reader.TryReadUInt64(out var requestId)
            || !reader.TryReadName(out var scope)
            || !reader.TryReadName(out var connectionId)
            || !reader.TryReadName(out var group)
            || !reader.TryReadByte(out var join)
            || join > 1
            || !reader.AtEnd)
        {
            return false;
        }

        request = new GroupChangeRequest(requester, requestId, scope, connectionId, group, join == 1);
        return true;
    }
}
