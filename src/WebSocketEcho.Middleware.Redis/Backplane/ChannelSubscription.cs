using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// One channel this instance wants (or wanted) to hear: its ordered message queue while subscribed, the gate that keeps
/// subscribe and unsubscribe of the channel one at a time, and what its reader has seen from each publisher.
/// </summary>
internal sealed class ChannelSubscription
{
    public ChannelSubscription(RedisChannel channel, Func<bool> isWanted)
    {
        Channel = channel;
        IsWanted = isWanted;
    }

    public RedisChannel Channel { get; }

    /// <summary>Gets whether the instance still has an interest the channel serves (asked again at every change).</summary>
    public Func<bool> IsWanted { get; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Gets or sets the subscription's ordered queue; null while not subscribed. Changed only under <see cref="Gate"/>.</summary>
    public ChannelMessageQueue? Queue { get; set; }

    /// <summary>Gets or sets whether the state was removed (a newer one replaces it). Changed only under <see cref="Gate"/>.</summary>
    public bool Retired { get; set; }

    /// <summary>Gets the sequences seen per publisher; used only by the queue's reader, one message at a time.</summary>
    public PublisherSequences Sequences { get; } = new();

    /// <summary>Counts the messages whose handling started (see <see cref="Subscriptions.CatchUpAsync"/>).</summary>
    public long Started;

    /// <summary>Counts the messages whose handling finished.</summary>
    public long Finished;
}
