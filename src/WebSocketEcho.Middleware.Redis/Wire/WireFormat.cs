namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The bytes the Redis backplane publishes (documented in docs/redis.md, "Wire format"). Every frame starts with a
/// version byte and a frame type byte; integers are little-endian, counts and lengths are unsigned LEB128 varints, and
/// strings are a varint byte length followed by UTF-8. An instance skips (and counts) a frame whose version it does not
/// know, so a rolling upgrade that changes the format loses messages between old and new instances instead of crashing them.
/// </summary>
internal static class WireFormat
{
    /// <summary>The version this build writes, and the only one it reads.</summary>
    public const byte Version = 1;

    /// <summary>Version and frame type.</summary>
    public const int HeaderLength = 2;

    /// <summary>Reads the header; false when the frame is shorter than a header.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> frame, out byte version, out FrameType type)
    {
        if (frame.Length < HeaderLength)
        {
            version = 0;
            type = 0;
            return false;
        }

        version = frame[0];
        type = (FrameType)frame[1];
        return true;
    }
}

/// <summary>What a frame carries (its second byte).</summary>
internal enum FrameType : byte
{
    /// <summary>A pushed message for connections of other instances (<see cref="PushFrame"/>).</summary>
    Push = 1,

    /// <summary>Add a connection to a group or remove it, sent to the instance holding it (<see cref="GroupChangeRequest"/>).</summary>
    GroupChangeRequest = 2,

    /// <summary>The holding instance's answer to a <see cref="GroupChangeRequest"/> (<see cref="GroupChangeAnswer"/>).</summary>
    GroupChangeAnswer = 3,
}
