using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// How many other instances each channel reached the last time this instance published on it: what PUBLISH answered,
/// less this instance's own subscription. After an outage the buffered messages wait until their channels have as many
/// listeners again (<c>RedisBackplane.WaitForListenersAsync</c>). Bounded: two generations of at most
/// <see cref="Capacity"/> channels each, the older forgotten when the newer is full, so a channel not published on for a
/// while is forgotten (and counts as unknown). Used by the link loop only, one call at a time.
/// </summary>
internal sealed class ListenerCounts
{
    /// <summary>The number of channels a generation holds.</summary>
    public const int Capacity = 4096;

    private Dictionary<RedisChannel, int> _current = [];
    private Dictionary<RedisChannel, int> _previous = [];

    /// <summary>Records that a publish on <paramref name="channel"/> reached <paramref name="receivers"/> subscribers.</summary>
    public void Record(RedisChannel channel, long receivers, bool selfSubscribed)
    {
        var others = (int)Math.Clamp(receivers - (selfSubscribed ? 1 : 0), 0, int.MaxValue);
        if (_current.Count >= Capacity && !_current.ContainsKey(channel))
        {
            (_previous, _current) = (_current, _previous);
            _current.Clear();
        }

        _current[channel] = others;
    }

    /// <summary>Gets how many other instances the last publish on <paramref name="channel"/> reached; false when unknown.</summary>
    public bool TryGet(RedisChannel channel, out int others) =>
        _current.TryGetValue(channel, out others) || _previous.TryGetValue(channel, out others);
}
