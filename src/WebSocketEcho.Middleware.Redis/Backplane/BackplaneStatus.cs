namespace WebSocketEcho.Middleware.Redis;

/// <summary>A snapshot of the backplane for the health check: the link, since when, and the counts that matter.</summary>
internal sealed record BackplaneStatus(
    bool Connected,
    DateTimeOffset Since,
    string? Problem,
    string Endpoints,
    string? InstanceId,
    int BufferedMessages,
    long BufferedBytes,
    long PublishedTotal,
    long ReceivedTotal,
    long BufferedTotal,
    long DroppedTotal,
    long SkippedTotal,
    long PublishFailuresTotal,
    long ReconnectsTotal);
