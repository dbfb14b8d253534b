using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The moment after an outage: Redis is back, but the other instances reconnect and subscribe again one after the other,
/// and Redis keeps nothing for a channel nobody listens on. So the buffered messages wait until every channel they go to
/// has its listeners back, asked of Redis (PUBSUB NUMSUB), not guessed from a fixed delay.
/// </summary>
internal sealed partial class RedisBackplane
{
    private const int MaxChannelsPerCheck = 256;
    private static readonly TimeSpan s_listenerCheckInterval = TimeSpan.FromMilliseconds(50);

    private readonly ListenerCounts _listeners = new();
    private readonly Task<long>[] _listenerChecks = new Task<long>[MaxChannelsPerCheck];

    /// <summary>
    /// Waits until every channel with buffered messages has, besides this instance, as many listeners as the last publish
    /// on it reached before the outage; a channel without such a count (never published on, or this instance started
    /// while Redis was down) needs one. Waits at most <see cref="RedisBackplaneOptions.MaxReconnectFlushDelay"/>: an
    /// instance that stopped during the outage never comes back. A new instance counts like the one it replaces.
    /// Returns the number of channels still short of listeners when the wait ended (0 when all were there).
    /// </summary>
    private async Task<int> WaitForListenersAsync(ConnectionMultiplexer multiplexer, CancellationToken stopping)
    {
        var limit = _options.MaxReconnectFlushDelay;
        var started = _time.GetTimestamp();
        var waiting = new List<(RedisChannel Channel, int Expected)>();
        foreach (var channel in _outbox.GetChannels())
        {
            var expected = _listeners.TryGet(channel, out var known) ? known : 1;
            if (expected > 0)
            {
                waiting.Add((channel, expected));
            }
        }

        while (waiting.Count > 0 && _time.GetElapsedTime(started) < limit)
        {
            var server = PrimaryServer(multiplexer);
            if (server is null)
            {
                // Lost again: publishing finds out and goes down.
                return waiting.Count;
            }

            var count = Math.Min(waiting.Count, MaxChannelsPerCheck);
            for (var i = 0; i < count; i++)
            {
                try
                {
                    _listenerChecks[i] = server.SubscriptionSubscriberCountAsync(waiting[i].Channel);
                }
                catch (Exception ex) when (Redis.Subscriptions.IsRedisFailure(ex))
                {
                    _listenerChecks[i] = Task.FromException<long>(ex);
                }
            }

            var met = 0;
            var failed = false;
            for (var i = count - 1; i >= 0; i--)
            {
                try
                {
                    var subscribers = await _listenerChecks[i].ConfigureAwait(false);
                    var (channel, expected) = waiting[i];
                    if (subscribers - (_subscriptions.IsSubscribed(channel) ? 1 : 0) >= expected)
                    {
                        waiting.RemoveAt(i);
                        met++;
                    }
                }
                catch (Exception ex) when (Redis.Subscriptions.IsRedisFailure(ex))
                {
                    failed = true;
                }

                _listenerChecks[i] = null!;
            }

            if (failed)
            {
                return waiting.Count;
            }

            if (met < count)
            {
                var left = limit - _time.GetElapsedTime(started);
                if (left > TimeSpan.Zero)
                {
                    await Task.Delay(left < s_listenerCheckInterval ? left : s_listenerCheckInterval, _time, stopping).ConfigureAwait(false);
                }
            }
        }

        return waiting.Count;
    }

    /// <summary>The server this instance publishes and subscribes on (the primary), when connected.</summary>
    private static IServer? PrimaryServer(ConnectionMultiplexer multiplexer)
    {
        foreach (var server in multiplexer.GetServers())
        {
            if (server.IsConnected && !server.IsReplica)
            {
                return server;
            }
        }

        return null;
    }
}
