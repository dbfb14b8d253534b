using System.Diagnostics.Metrics;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The backplane's instruments on the meter <c>WebSocketEcho.Middleware.Redis</c>, beside the core's
/// <c>websocket.server.*</c> ones. Counters add up from the start; the gauges read the backplane's state when collected.
/// Totals are also kept here for the health check, whether or not anybody listens to the meter.
/// </summary>
internal sealed class RedisBackplaneMetrics
{
    public const string MeterName = "WebSocketEcho.Middleware.Redis";

    private const string ReasonTag = "websocket.backplane.reason";

    private readonly Counter<long> _published;
    private readonly Counter<long> _received;
    private readonly Counter<long> _publishFailures;
    private readonly Counter<long> _buffered;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _skipped;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _groupChangeFailures;
    private long _publishedTotal;
    private long _receivedTotal;
    private long _publishFailuresTotal;
    private long _bufferedTotal;
    private long _droppedTotal;
    private long _skippedTotal;
    private long _reconnectsTotal;

    public RedisBackplaneMetrics(IMeterFactory? meterFactory, IBackplaneGauges gauges)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _published = meter.CreateCounter<long>(
            "websocket.backplane.redis.published", "{message}", "Messages published to Redis for the other instances.");
        _received = meter.CreateCounter<long>(
            "websocket.backplane.redis.received", "{message}", "Messages from other instances received from Redis and delivered on this instance.");
        _publishFailures = meter.CreateCounter<long>(
            "websocket.backplane.redis.publish_failures", "{failure}", "Attempts to publish to Redis that failed (the messages stay buffered).");
        _buffered = meter.CreateCounter<long>(
            "websocket.backplane.redis.buffered", "{message}", "Messages that had to wait in the buffer because Redis was unreachable.");
        _dropped = meter.CreateCounter<long>(
            "websocket.backplane.redis.dropped", "{message}", "Messages for other instances that were given up, tagged with the reason (buffer_full, expired, rejected, stopped).");
        _skipped = meter.CreateCounter<long>(
            "websocket.backplane.redis.skipped", "{message}", "Messages received from Redis and not delivered, tagged with the reason (unknown_version, malformed, duplicate).");
        _reconnects = meter.CreateCounter<long>(
            "websocket.backplane.redis.reconnects", "{reconnect}", "Times the backplane got Redis back after losing it.");
        _groupChangeFailures = meter.CreateCounter<long>(
            "websocket.backplane.redis.group_change_failures", "{failure}", "Group changes for connections of other instances that got no answer, tagged with the reason (unreachable, timeout).");
        meter.CreateObservableGauge(
            "websocket.backplane.redis.connected", () => gauges.IsConnected ? 1 : 0, "{state}", "1 while the backplane is connected to Redis, 0 while it is not.");
        meter.CreateObservableGauge(
            "websocket.backplane.redis.buffer.messages", () => gauges.BufferedMessages, "{message}", "Messages waiting to be published.");
        meter.CreateObservableGauge(
            "websocket.backplane.redis.buffer.bytes", () => gauges.BufferedBytes, "By", "Bytes of the messages waiting to be published.");
        meter.CreateObservableGauge(
            "websocket.backplane.redis.subscriptions", () => gauges.Subscriptions, "{channel}", "Redis channels this instance is subscribed to.");
    }

    public long PublishedTotal => Volatile.Read(ref _publishedTotal);

    public long ReceivedTotal => Volatile.Read(ref _receivedTotal);

    public long PublishFailuresTotal => Volatile.Read(ref _publishFailuresTotal);

    public long BufferedTotal => Volatile.Read(ref _bufferedTotal);

    public long DroppedTotal => Volatile.Read(ref _droppedTotal);

    public long SkippedTotal => Volatile.Read(ref _skippedTotal);

    public long ReconnectsTotal => Volatile.Read(ref _reconnectsTotal);

    public void Published(int count) => Add(_published, ref _publishedTotal, count);

    public void Received() => Add(_received, ref _receivedTotal, 1);

    public void PublishFailed() => Add(_publishFailures, ref _publishFailuresTotal, 1);

    public void Buffered(int count) => Add(_buffered, ref _bufferedTotal, count);

    public void Dropped(int count, string reason) => Add(_dropped, ref _droppedTotal, count, reason);

    public void Skipped(string reason) => Add(_skipped, ref _skippedTotal, 1, reason);

    public void Reconnected() => Add(_reconnects, ref _reconnectsTotal, 1);

    public void GroupChangeFailed(string reason) => _groupChangeFailures.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));

    private static void Add(Counter<long> counter, ref long total, int count, string? reason = null)
    {
        if (count == 0)
        {
            return;
        }

        Interlocked.Add(ref total, count);
        if (reason is null)
        {
            counter.Add(count);
        }
        else
        {
            counter.Add(count, new KeyValuePair<string, object?>(ReasonTag, reason));
        }
    }
}
