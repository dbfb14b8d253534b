using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>One encoded frame waiting to be published on one channel.</summary>
internal sealed class OutboxEntry
{
    public OutboxEntry(RedisChannel channel, byte[] frame)
    {
        Channel = channel;
        Frame = frame;
    }

    public RedisChannel Channel { get; }

    public byte[] Frame { get; }

    /// <summary>Gets or sets when it entered the outbox (a <see cref="TimeProvider"/> timestamp).</summary>
    public long Enqueued { get; set; }

    /// <summary>Gets or sets the caller waiting for it, if any; only touched under the outbox's lock.</summary>
    public PublishWaiter? Waiter { get; set; }
}
