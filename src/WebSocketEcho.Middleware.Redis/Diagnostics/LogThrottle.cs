namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Lets one log event through per interval and counts the occurrences in between, so an outage that fails every
/// publish writes a line every few seconds (with the count it stands for), not one per message.
/// </summary>
internal sealed class LogThrottle
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly Lock _lock = new();
    private long _next;
    private long _pending;

    public LogThrottle(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Records <paramref name="count"/> occurrences; true when it is time to log, with the occurrences since the last log.</summary>
    public bool ShouldLog(long count, out long occurrences)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            _pending += count;
            if (now < _next)
            {
                occurrences = 0;
                return false;
            }

            occurrences = _pending;
            _pending = 0;
            _next = now + _intervalTicks;
            return true;
        }
    }
}
