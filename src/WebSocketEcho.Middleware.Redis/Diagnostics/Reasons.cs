namespace WebSocketEcho.Middleware.Redis;

/// <summary>The values of the reason tags, as constants so dashboards and tests spell them alike.</summary>
internal static class Reasons
{
    public const string BufferFull = "buffer_full";
    public const string Expired = "expired";
    public const string Rejected = "rejected";
    public const string Stopped = "stopped";
    public const string UnknownVersion = "unknown_version";
    public const string Malformed = "malformed";
    public const string Duplicate = "duplicate";
    public const string Unreachable = "unreachable";
    public const string Timeout = "timeout";
}
