namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The highest sequence number seen from each publisher on one channel. Redis keeps one publisher's messages in order
/// on a channel, so a sequence at or below the highest is a message seen already: one the publisher sent again because
/// it could not tell whether Redis had taken it before the connection failed. Used only by the channel's own reader
/// (one at a time); publishers not heard from for a while are forgotten so instances that come and go cost nothing.
/// </summary>
internal sealed class PublisherSequences
{
    private const int MaxPublishers = 256;

    private readonly Dictionary<string, (ulong Sequence, long Touched)> _highest = new(StringComparer.Ordinal);
    private long _clock;

    /// <summary>Records <paramref name="sequence"/> from <paramref name="publisher"/>; false when it was seen already.</summary>
    public bool TryAdvance(string publisher, ulong sequence)
    {
        var now = ++_clock;
        if (_highest.TryGetValue(publisher, out var seen) && sequence <= seen.Sequence)
        {
            _highest[publisher] = (seen.Sequence, now);
            return false;
        }

        if (_highest.Count >= MaxPublishers && !_highest.ContainsKey(publisher))
        {
            ForgetLeastRecent();
        }

        _highest[publisher] = (sequence, now);
        return true;
    }

    private void ForgetLeastRecent()
    {
        string? oldest = null;
        var oldestTouched = long.MaxValue;
        foreach (var (publisher, seen) in _highest)
        {
            if (seen.Touched < oldestTouched)
            {
                oldest = publisher;
                oldestTouched = seen.Touched;
            }
        }

        _highest.Remove(oldest!);
    }
}
