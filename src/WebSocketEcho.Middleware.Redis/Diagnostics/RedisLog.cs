using Microsoft.Extensions.Logging;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Every log message of the Redis backplane, source-generated, in the category <see cref="Category"/>. Event ids are
/// stable: dashboards and alerts may rely on them. Events that can repeat for every message during an outage are
/// rate-limited (<see cref="LogThrottle"/>) and carry the number of occurrences they stand for.
/// </summary>
internal static partial class RedisLog
{
    /// <summary>The logger category of everything the Redis backplane logs.</summary>
    public const string Category = "WebSocketEcho.Middleware.Redis";

    [LoggerMessage(1, LogLevel.Information, "Redis backplane: connecting to {Endpoints} in the background (channel prefix {ChannelPrefix}); the app does not wait for it.", EventName = "Connecting")]
    public static partial void Connecting(ILogger logger, string endpoints, string channelPrefix);

    [LoggerMessage(2, LogLevel.Information, "Redis backplane connected to {Endpoints}; messages reach the other instances.", EventName = "Connected")]
    public static partial void Connected(ILogger logger, string endpoints);

    [LoggerMessage(3, LogLevel.Warning, "Redis backplane lost Redis ({Endpoints}): {Reason}. WebSocket connections stay open and local delivery goes on; messages for other instances wait in a buffer of at most {MaxBufferedMessages} messages and {MaxBufferedBytes} bytes, each for at most {MaxBufferAge}.", EventName = "ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string endpoints, string reason, int maxBufferedMessages, long maxBufferedBytes, TimeSpan maxBufferAge);

    [LoggerMessage(4, LogLevel.Information, "Redis backplane reconnected to {Endpoints} after {Outage}; {Buffered} buffered message(s) are published in order after {FlushDelay}.", EventName = "Reconnected")]
    public static partial void Reconnected(ILogger logger, string endpoints, TimeSpan outage, int buffered, TimeSpan flushDelay);

    [LoggerMessage(5, LogLevel.Information, "Redis backplane published the {Count} message(s) buffered during the outage.", EventName = "BufferFlushed")]
    public static partial void BufferFlushed(ILogger logger, long count);

    [LoggerMessage(6, LogLevel.Warning, "Redis backplane dropped {Count} message(s) for other instances ({DropReason}); other instances will not receive them.", EventName = "MessagesDropped")]
    public static partial void MessagesDropped(ILogger logger, long count, string dropReason);

    [LoggerMessage(7, LogLevel.Warning, "Redis backplane could not publish to Redis ({Count} failure(s)): {Reason}. The messages wait in the buffer.", EventName = "PublishFailed")]
    public static partial void PublishFailed(ILogger logger, long count, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Redis backplane skipped {Count} message(s) it could not read ({SkipReason}), last on channel {Channel}.", EventName = "MessageSkipped")]
    public static partial void MessageSkipped(ILogger logger, long count, string skipReason, string channel);

    [LoggerMessage(9, LogLevel.Warning, "Redis backplane could not subscribe to {Channel}: {Reason}. It subscribes again when Redis is reachable.", EventName = "SubscribeFailed")]
    public static partial void SubscribeFailed(ILogger logger, string channel, string reason);

    [LoggerMessage(10, LogLevel.Warning, "Instance {InstanceId} did not answer within {Timeout} whether connection {ConnectionId} {GroupChange} group {Group}; reported as not found.", EventName = "GroupChangeUnanswered")]
    public static partial void GroupChangeUnanswered(ILogger logger, string instanceId, TimeSpan timeout, string connectionId, string groupChange, string group);

    [LoggerMessage(11, LogLevel.Warning, "Redis backplane cannot reach instance {InstanceId} to change the groups of connection {ConnectionId} ({Reason}); reported as not found.", EventName = "GroupChangeUnreachable")]
    public static partial void GroupChangeUnreachable(ILogger logger, string instanceId, string connectionId, string reason);

    [LoggerMessage(12, LogLevel.Error, "Redis backplane failed to handle a message from channel {Channel}.", EventName = "HandlingFailed")]
    public static partial void HandlingFailed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(13, LogLevel.Warning, "Redis backplane could not create its Redis connection: {Reason}. Retrying in {Delay}.", EventName = "ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(14, LogLevel.Debug, "Redis backplane subscribed to {Channel}.", EventName = "Subscribed")]
    public static partial void Subscribed(ILogger logger, string channel);

    [LoggerMessage(15, LogLevel.Debug, "Redis backplane unsubscribed from {Channel}.", EventName = "Unsubscribed")]
    public static partial void Unsubscribed(ILogger logger, string channel);

    [LoggerMessage(16, LogLevel.Warning, "Redis backplane stopped with {Count} message(s) still unpublished; other instances will not receive them.", EventName = "StoppedWithBuffered")]
    public static partial void StoppedWithBuffered(ILogger logger, int count);
}
