using StackExchange.Redis;
using WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Redis.Tests;

/// <summary>
/// The moment Redis is back after an outage: the buffered messages wait until their channels have their listeners again
/// (as many other instances as the last publish on the channel reached), and no longer than
/// <see cref="RedisBackplaneOptions.MaxReconnectFlushDelay"/> when a listener never comes back. The other instance is a
/// plain Redis subscriber on the channel, so the test decides exactly when it leaves and when it listens again.
/// </summary>
public sealed class RecoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_buffer_waits_until_its_channel_has_its_listener_back_so_a_listener_that_subscribes_late_still_gets_it()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var outage = await OutageWithOneListener.StartAsync(redis, TimeSpan.FromSeconds(30));

        // A is back and holds the buffer: its channel had one listener besides A before the outage, and has none now.
        await BackplaneApp.WaitForAsync(() => outage.App.BackplaneLogs.Any(r => r.Id.Id == 4), "instance A to get Redis back");
        Assert.Equal(1, outage.App.Backplane.BufferedMessages);

        // The listener comes back (a new instance counts like the one it replaces): it gets what was buffered.
        await using var late = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var frame = await ReadWithin15sAsync(await late.GetSubscriber().SubscribeAsync(outage.Channel));

        Assert.True(PushFrame.TryDecode(((ReadOnlyMemory<byte>)frame.Message).Span, out var push));
        Assert.Equal("during the outage", System.Text.Encoding.UTF8.GetString(push!.Message.Payload.Span));
        await BackplaneApp.WaitForAsync(() => outage.App.BackplaneLogs.Any(r => r.Id.Id == 5), "instance A to log the published buffer");
        var flushed = outage.App.BackplaneLogs.Single(r => r.Id.Id == 5);
        Assert.Equal(("1", "0"), (flushed.GetStructuredStateValue("Count"), flushed.GetStructuredStateValue("Unconfirmed")));
        Assert.Equal(0, outage.App.Backplane.GetStatus().DroppedTotal);
    }

    [Fact]
    public async Task A_listener_that_never_comes_back_holds_the_buffer_for_MaxReconnectFlushDelay_then_it_is_published_and_logged_unconfirmed()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var outage = await OutageWithOneListener.StartAsync(redis, TimeSpan.FromSeconds(1));

        await BackplaneApp.WaitForAsync(() => outage.App.BackplaneLogs.Any(r => r.Id.Id == 5), "instance A to publish its buffer without the listener");

        var flushed = outage.App.BackplaneLogs.Single(r => r.Id.Id == 5);
        Assert.Equal(("1", "1"), (flushed.GetStructuredStateValue("Count"), flushed.GetStructuredStateValue("Unconfirmed")));
        var waited = TimeSpan.Parse(flushed.GetStructuredStateValue("Waited")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(waited, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Equal(0, outage.App.Backplane.BufferedMessages);
        Assert.Equal(BackplaneDelivery.Published, (await outage.App.Push.All.SendTextAsync("after", Ct)).Backplane);
    }

    private static async Task<ChannelMessage> ReadWithin15sAsync(ChannelMessageQueue queue)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        return await queue.ReadAsync(timeout.Token);
    }

    /// <summary>
    /// Instance A alone with one other listener on its scope's channel (a plain subscriber), which hears A's first push;
    /// then Redis is killed, the listener leaves, A buffers one push ("during the outage"), and Redis starts again.
    /// </summary>
    private sealed class OutageWithOneListener : IAsyncDisposable
    {
        private OutageWithOneListener(BackplaneApp app, RedisChannel channel)
        {
            App = app;
            Channel = channel;
        }

        public BackplaneApp App { get; }

        public RedisChannel Channel { get; }

        public static async Task<OutageWithOneListener> StartAsync(RedisServer redis, TimeSpan maxReconnectFlushDelay)
        {
            var prefix = "t" + Guid.NewGuid().ToString("N")[..12];
            var app = await BackplaneApp.StartAsync(redis.Configuration, prefix, options => options.MaxReconnectFlushDelay = maxReconnectFlushDelay);
            try
            {
                await app.WaitUntilReadyAsync();
                var channel = RedisChannel.Literal($"{prefix}:a:{typeof(ChatHandler).FullName}");
                await using (var listener = await ConnectionMultiplexer.ConnectAsync(redis.Configuration))
                {
                    var queue = await listener.GetSubscriber().SubscribeAsync(channel);
                    Assert.Equal(BackplaneDelivery.Published, (await app.Push.All.SendTextAsync("before the outage", Ct)).Backplane);
                    await ReadWithin15sAsync(queue);
                    redis.Kill();
                }

                await BackplaneApp.WaitForAsync(() => !app.Backplane.IsConnected, "instance A to see Redis gone");
                Assert.Equal(BackplaneDelivery.Buffered, (await app.Push.All.SendTextAsync("during the outage", Ct)).Backplane);
                await redis.StartProcessAsync();
                return new OutageWithOneListener(app, channel);
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
        }

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
