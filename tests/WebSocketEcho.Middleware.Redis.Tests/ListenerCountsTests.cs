using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis.Tests;

/// <summary>
/// What the backplane remembers of each channel's listeners (how many other instances the last publish reached), which
/// decides how long the buffer waits after an outage: this instance's own subscription is not counted, and the memory
/// is bounded (two generations of <see cref="ListenerCounts.Capacity"/> channels; the oldest are forgotten).
/// </summary>
public sealed class ListenerCountsTests
{
    [Fact]
    public void A_publish_that_reached_3_subscribers_one_of_them_this_instance_counts_2_others_and_an_unseen_channel_is_unknown()
    {
        var counts = new ListenerCounts();

        counts.Record(RedisChannel.Literal("wse:a:Chat"), receivers: 3, selfSubscribed: true);
        counts.Record(RedisChannel.Literal("wse:i:other"), receivers: 1, selfSubscribed: false);
        counts.Record(RedisChannel.Literal("wse:g:Chat:empty"), receivers: 0, selfSubscribed: false);

        Assert.Equal((true, 2), (counts.TryGet(RedisChannel.Literal("wse:a:Chat"), out var all), all));
        Assert.Equal((true, 1), (counts.TryGet(RedisChannel.Literal("wse:i:other"), out var instance), instance));
        Assert.Equal((true, 0), (counts.TryGet(RedisChannel.Literal("wse:g:Chat:empty"), out var empty), empty));
        Assert.False(counts.TryGet(RedisChannel.Literal("wse:g:Chat:never"), out _));
    }

    [Fact]
    public void The_latest_count_of_a_channel_wins()
    {
        var counts = new ListenerCounts();
        var channel = RedisChannel.Literal("wse:a:Chat");

        counts.Record(channel, receivers: 4, selfSubscribed: true);
        counts.Record(channel, receivers: 2, selfSubscribed: true);

        Assert.Equal((true, 1), (counts.TryGet(channel, out var others), others));
    }

    [Fact]
    public void A_channel_is_remembered_through_Capacity_newer_channels_and_forgotten_after_twice_as_many()
    {
        var counts = new ListenerCounts();
        var first = RedisChannel.Literal("wse:g:Chat:0");
        counts.Record(first, receivers: 2, selfSubscribed: false);

        for (var i = 1; i <= ListenerCounts.Capacity; i++)
        {
            counts.Record(RedisChannel.Literal($"wse:g:Chat:{i}"), receivers: 1, selfSubscribed: false);
        }

        Assert.Equal((true, 2), (counts.TryGet(first, out var remembered), remembered));

        for (var i = ListenerCounts.Capacity + 1; i <= 2 * ListenerCounts.Capacity; i++)
        {
            counts.Record(RedisChannel.Literal($"wse:g:Chat:{i}"), receivers: 1, selfSubscribed: false);
        }

        Assert.False(counts.TryGet(first, out _));
        Assert.True(counts.TryGet(RedisChannel.Literal($"wse:g:Chat:{2 * ListenerCounts.Capacity}"), out _));
    }
}
