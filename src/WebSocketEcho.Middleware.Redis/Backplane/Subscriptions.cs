using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Keeps the channels this instance is subscribed to equal to the ones it wants. Each change re-reads what is wanted
/// (so overlapping "interest added" and "interest removed" calls settle on the current state), runs under the channel's
/// own gate, and never throws: a subscription that cannot be made now (Redis down) is remembered and made by
/// <see cref="ReconcileAsync"/> when Redis is back. Every subscription is an ordered queue with one reader.
/// </summary>
internal sealed class Subscriptions
{
    private readonly ConcurrentDictionary<RedisChannel, ChannelSubscription> _channels = new();
    private readonly Func<ChannelSubscription, ChannelMessage, Task> _onMessage;
    private readonly ILogger _logger;
    private readonly LogThrottle _failureLog;
    private int _subscribed;
    private int _retryNeeded;

    public Subscriptions(Func<ChannelSubscription, ChannelMessage, Task> onMessage, ILogger logger, LogThrottle failureLog)
    {
        _onMessage = onMessage;
        _logger = logger;
        _failureLog = failureLog;
    }

    /// <summary>Gets the number of channels subscribed now.</summary>
    public int Count => Volatile.Read(ref _subscribed);

    /// <summary>Gets and clears whether a wanted channel could not be subscribed and should be tried again.</summary>
    public bool TakeRetryNeeded() => Interlocked.Exchange(ref _retryNeeded, 0) == 1;

    /// <summary>Subscribes to <paramref name="channel"/> or unsubscribes from it, according to <paramref name="isWanted"/> now.</summary>
    public async ValueTask EnsureAsync(RedisChannel channel, Func<bool> isWanted, ISubscriber? subscriber, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = _channels.GetOrAdd(channel, static (name, wanted) => new ChannelSubscription(name, wanted), isWanted);
            await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!state.Retired)
                {
                    await ApplyAsync(state, subscriber).ConfigureAwait(false);
                    return;
                }
            }
            finally
            {
                state.Gate.Release();
            }
        }
    }

    /// <summary>Brings every known channel, and every channel of <paramref name="wanted"/>, to what is wanted now.</summary>
    public async Task ReconcileAsync(IEnumerable<(RedisChannel Channel, Func<bool> IsWanted)> wanted, ISubscriber subscriber, CancellationToken cancellationToken)
    {
        foreach (var (channel, isWanted) in wanted)
        {
            await EnsureAsync(channel, isWanted, subscriber, cancellationToken).ConfigureAwait(false);
        }

        foreach (var state in _channels.Values.ToArray())
        {
            await EnsureAsync(state.Channel, state.IsWanted, subscriber, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ApplyAsync(ChannelSubscription state, ISubscriber? subscriber)
    {
        if (state.IsWanted())
        {
            if (state.Queue is not null)
            {
                return;
            }

            if (subscriber is null || !subscriber.Multiplexer.IsConnected)
            {
                // Made when Redis is back (ReconcileAsync); subscribing now would only fail.
                Volatile.Write(ref _retryNeeded, 1);
                return;
            }

            await SubscribeAsync(state, subscriber).ConfigureAwait(false);
            return;
        }

        if (state.Queue is { } queue)
        {
            state.Queue = null;
            Interlocked.Decrement(ref _subscribed);
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
                RedisLog.Unsubscribed(_logger, state.Channel.ToString());
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                // The subscription is gone here (the multiplexer forgets it first); Redis forgets it with the connection.
            }
        }

        state.Retired = true;
        _channels.TryRemove(new KeyValuePair<RedisChannel, ChannelSubscription>(state.Channel, state));
    }

    private async Task SubscribeAsync(ChannelSubscription state, ISubscriber subscriber)
    {
        try
        {
            var queue = await subscriber.SubscribeAsync(state.Channel).ConfigureAwait(false);
            queue.OnMessage(message => HandleCounted(state, message));
            state.Queue = queue;
            Interlocked.Increment(ref _subscribed);
            RedisLog.Subscribed(_logger, state.Channel.ToString());
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Volatile.Write(ref _retryNeeded, 1);

            // The multiplexer remembers even a failed subscription and would restore it later with nobody reading its
            // queue (which would then grow without bound): forget it now; ReconcileAsync subscribes again.
            try
            {
                await subscriber.UnsubscribeAsync(state.Channel).ConfigureAwait(false);
            }
            catch (Exception cleanup) when (IsRedisFailure(cleanup))
            {
                // Forgotten locally all the same.
            }

            if (_failureLog.ShouldLog(1, out _))
            {
                RedisLog.SubscribeFailed(_logger, state.Channel.ToString(), ex.Message);
            }
        }
    }

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until the reader of <paramref name="channel"/> has handled every message
    /// that had arrived by now. Redis hands one subscriber everything in publish order, and the multiplexer puts each
    /// message into its channel's queue as it reads it, so when a group change from another instance is read on this
    /// instance's channel, that instance's earlier pushes to the group are in the group's queue already: handling them
    /// first keeps "push to the group, then remove the member" (or "then add one") in the publisher's order.
    /// </summary>
    public async Task CatchUpAsync(RedisChannel channel, TimeSpan limit)
    {
        if (!_channels.TryGetValue(channel, out var state) || state.Queue is not { } queue)
        {
            return;
        }

        long started;
        int buffered;
        do
        {
            started = Volatile.Read(ref state.Started);
            if (!queue.TryGetCount(out buffered))
            {
                return;
            }
        }
        while (started != Volatile.Read(ref state.Started));

        var target = started + buffered;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref state.Finished) < target && waited.Elapsed < limit)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    private Task HandleCounted(ChannelSubscription state, ChannelMessage message)
    {
        Interlocked.Increment(ref state.Started);
        var handling = _onMessage(state, message);
        if (handling.IsCompleted)
        {
            Interlocked.Increment(ref state.Finished);
            return handling;
        }

        return FinishAsync(state, handling);

        static async Task FinishAsync(ChannelSubscription state, Task handling)
        {
            try
            {
                await handling.ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Increment(ref state.Finished);
            }
        }
    }

    /// <summary>What a Redis call may throw when Redis is unreachable or the multiplexer is closing.</summary>
    public static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException;
}
