using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Redis.Tests;

/// <summary>
/// Redis outages with a real redis-server killed by its PID (SIGKILL) and started again on the same port: no WebSocket
/// closes, local delivery goes on, what cannot be published is buffered (in order) or dropped and counted, the health
/// check follows Redis, and cross-instance delivery resumes by itself. Each test owns its redis-server.
/// </summary>
public sealed class OutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Redis_killed_while_clients_on_both_instances_send_closes_nothing_buffers_in_order_and_resumes_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var apps = await TwoInstances.StartAsync(redis);
        using var a1 = await apps.A.ConnectAsync("a1");
        using var a2 = await apps.A.ConnectAsync("a2");
        using var b1 = await apps.B.ConnectAsync("b1");
        using var b2 = await apps.B.ConnectAsync("b2");

        // a1 and b1 each send a numbered message every 20 ms; the handler pushes every message to all, both instances.
        using var stopSending = new CancellationTokenSource();
        var sentByA1 = 0;
        var sentByB1 = 0;
        var senders = Task.WhenAll(SendLoopAsync(a1, "a1", () => sentByA1++, stopSending.Token), SendLoopAsync(b1, "b1", () => sentByB1++, stopSending.Token));
        var atA2 = ReceivedTexts.Collect(a2);
        var atB2 = ReceivedTexts.Collect(b2);
        await BackplaneApp.WaitForAsync(() => atB2.Contains("a1 3") && atA2.Contains("b1 3"), "messages across instances before the outage");

        redis.Kill();
        await BackplaneApp.WaitForAsync(() => !apps.A.Backplane.IsConnected && !apps.B.Backplane.IsConnected, "both instances to see Redis gone");
        var sentAtKill = (A1: Volatile.Read(ref sentByA1), B1: Volatile.Read(ref sentByB1));

        // Local delivery goes on while Redis is down: a2 keeps hearing a1, b2 keeps hearing b1.
        await BackplaneApp.WaitForAsync(() => atA2.Contains($"a1 {sentAtKill.A1 + 5}") && atB2.Contains($"b1 {sentAtKill.B1 + 5}"), "local delivery during the outage");
        var pushDuringOutage = await apps.A.Push.All.SendTextAsync("pushed during the outage", Ct);
        Assert.Equal((2, BackplaneDelivery.Buffered), (pushDuringOutage.Reached, pushDuringOutage.Backplane));
        Assert.False(await apps.A.Push.AddToGroupAsync(b1.Id, "room", Ct));

        var health = await apps.A.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains($"cannot reach Redis at 127.0.0.1:{redis.Port} since ", health.Description, StringComparison.Ordinal);
        Assert.True((int)health.Data["buffered_messages"] > 0, health.Description);
        Assert.False((bool)health.Data["connected"]);

        // Redis is back: measure until a message published after the restart crosses over.
        var restarted = Stopwatch.StartNew();
        await redis.StartProcessAsync();
        var marker = 0;
        while (!atB2.Snapshot().Any(t => t.StartsWith("marker ", StringComparison.Ordinal)))
        {
            Assert.True(restarted.Elapsed < TimeSpan.FromSeconds(30), "Cross-instance delivery did not resume within 30 s of Redis coming back.");
            await apps.A.Push.Connection(b2.Id).SendTextAsync($"marker {marker++}", Ct);
            await Task.Delay(10, Ct);
        }

        var resumed = restarted.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"Cross-instance delivery resumed {resumed.TotalMilliseconds:0} ms after redis-server was started again (ReconnectFlushDelay {new RedisBackplaneOptions().ReconnectFlushDelay.TotalSeconds:0} s included for the buffered messages).");
        Assert.True(resumed < TimeSpan.FromSeconds(10), $"Resumed after {resumed}; expected within a few seconds.");

        await stopSending.CancelAsync();
        await senders;
        await apps.A.Push.All.SendTextAsync("end A", Ct);
        await apps.B.Push.All.SendTextAsync("end B", Ct);
        await BackplaneApp.WaitForAsync(() => atA2.Contains("end A") && atA2.Contains("end B") && atB2.Contains("end A") && atB2.Contains("end B"), "the end markers");

        // Nothing was lost, nothing came twice, and each sender's messages arrived in order, on both instances.
        AssertSequence(atB2, "a1", sentByA1);
        AssertSequence(atA2, "a1", sentByA1);
        AssertSequence(atA2, "b1", sentByB1);
        AssertSequence(atB2, "b1", sentByB1);
        Assert.Single(atB2.Snapshot(), m => m == "pushed during the outage");

        Assert.Equal(HealthStatus.Healthy, (await apps.A.CheckHealthAsync()).Status);
        Assert.Equal(HealthStatus.Healthy, (await apps.B.CheckHealthAsync()).Status);
        foreach (var app in new[] { apps.A, apps.B })
        {
            var status = app.Backplane.GetStatus();
            Assert.True(status.BufferedTotal > 0, "the outage's messages were counted as buffered");
            Assert.Equal(0, status.DroppedTotal);
            Assert.Equal(1, status.ReconnectsTotal);
            Assert.Single(app.BackplaneLogs, r => r.Id.Id == 3);
            Assert.Single(app.BackplaneLogs, r => r.Id.Id == 4);
        }

        foreach (var client in new[] { a1, a2, b1, b2 })
        {
            Assert.Equal(WebSocketState.Open, client.Socket.State);
        }
    }

    [Fact]
    public async Task An_outage_longer_than_the_buffer_drops_the_newest_counts_and_logs_them_once_and_says_Dropped()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var apps = await TwoInstances.StartAsync(redis, options => options.MaxBufferedMessages = 5);
        using var b1 = await apps.B.ConnectAsync("b1");

        redis.Kill();
        await BackplaneApp.WaitForAsync(() => !apps.A.Backplane.IsConnected, "instance A to see Redis gone");
        var outcomes = new List<BackplaneDelivery>();
        for (var i = 0; i < 8; i++)
        {
            outcomes.Add((await apps.A.Push.All.SendTextAsync($"m{i}", Ct)).Backplane);
        }

        Assert.Equal([.. Enumerable.Repeat(BackplaneDelivery.Buffered, 5), .. Enumerable.Repeat(BackplaneDelivery.Dropped, 3)], outcomes);
        var health = await apps.A.CheckHealthAsync();
        Assert.Equal(3L, health.Data["dropped_total"]);
        Assert.Equal(5, health.Data["buffered_messages"]);
        Assert.Single(apps.A.BackplaneLogs, r => r.Id.Id == 6);

        await redis.StartProcessAsync();
        await BackplaneApp.WaitForAsync(() => apps.A.Backplane.IsConnected && apps.A.Backplane.BufferedMessages == 0, "the buffer to be published");
        await apps.A.Push.All.SendTextAsync("after", Ct);
        await apps.A.Push.All.SendTextAsync("end", Ct);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4", "after"], await b1.ReceiveUntilAsync("end"));
    }

    [Fact]
    public async Task Messages_older_than_MaxBufferAge_when_Redis_is_back_are_dropped_as_expired_not_delivered_late()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var apps = await TwoInstances.StartAsync(redis, options =>
        {
            options.MaxBufferAge = TimeSpan.FromMilliseconds(300);
            options.ReconnectFlushDelay = TimeSpan.Zero;
        });
        using var b1 = await apps.B.ConnectAsync("b1");

        redis.Kill();
        await BackplaneApp.WaitForAsync(() => !apps.A.Backplane.IsConnected, "instance A to see Redis gone");
        await apps.A.Push.All.SendTextAsync("stale 1", Ct);
        await apps.A.Push.All.SendTextAsync("stale 2", Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(600), Ct);
        await redis.StartProcessAsync();

        // Once A is back (the stale ones expire then), push until one crosses over (B may subscribe again a moment later).
        await BackplaneApp.WaitForAsync(() => apps.A.Backplane.IsConnected, "instance A to get Redis back");
        var received = ReceivedTexts.Collect(b1);
        var fresh = 0;
        while (received.Count == 0)
        {
            Assert.True(fresh < 500, "Nothing crossed over within 10 s of Redis coming back.");
            await apps.A.Push.All.SendTextAsync($"fresh {fresh++}", Ct);
            await Task.Delay(20, Ct);
        }

        Assert.StartsWith("fresh ", received.Snapshot()[0], StringComparison.Ordinal);
        Assert.DoesNotContain(received.Snapshot(), t => t.StartsWith("stale", StringComparison.Ordinal));
        Assert.Equal(2, apps.A.Backplane.GetStatus().DroppedTotal);
        Assert.Contains(apps.A.BackplaneLogs, r => r.Id.Id == 6 && r.Message.Contains("(expired)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_Redis_down_at_startup_the_app_starts_at_once_serves_locally_and_connects_when_Redis_comes_up()
    {
        await using var redis = RedisServer.Reserve();
        await using var apps = await TwoInstances.StartAsync(redis, waitUntilReady: false);
        Assert.True(apps.A.StartupTime < TimeSpan.FromSeconds(5), $"Startup took {apps.A.StartupTime}: it must not wait for Redis.");

        using var a1 = await apps.A.ConnectAsync("a1", user: "ann", groups: "room");
        using var b1 = await apps.B.ConnectAsync("b1");
        var early = await apps.A.Push.All.SendTextAsync("before Redis", Ct);
        Assert.Equal((1, BackplaneDelivery.Buffered), (early.Reached, early.Backplane));
        Assert.Equal("before Redis", await a1.ReceiveTextAsync());

        var health = await apps.A.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains($"cannot reach Redis at 127.0.0.1:{redis.Port}", health.Description, StringComparison.Ordinal);

        await redis.StartProcessAsync();

        // A's own channel, the scope's, the group's and the user's, all subscribed once Redis is there.
        await apps.A.WaitUntilReadyAsync(subscriptions: 4);
        await apps.B.WaitUntilReadyAsync();
        Assert.Equal(HealthStatus.Healthy, (await apps.A.CheckHealthAsync()).Status);

        // The group and user subscriptions made while Redis was down are in place now, and the early message arrived.
        await apps.B.Push.Group("room").SendTextAsync("to the room", Ct);
        await apps.B.Push.User("ann").SendTextAsync("to ann", Ct);
        Assert.Equal("to the room", await a1.ReceiveTextAsync());
        Assert.Equal("to ann", await a1.ReceiveTextAsync());
        Assert.Equal("before Redis", await b1.ReceiveTextAsync());
        Assert.Equal(WebSocketState.Open, a1.Socket.State);
    }

    private static async Task SendLoopAsync(ChatClient client, string name, Func<int> next, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await client.SendTextAsync($"{name} {next()}");
            try
            {
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Asserts that <paramref name="sender"/>'s messages 0..count-1 each arrived once, in order.</summary>
    private static void AssertSequence(ReceivedTexts received, string sender, int count)
    {
        var numbers = received.Snapshot()
            .Where(t => t.StartsWith(sender + " ", StringComparison.Ordinal))
            .Select(t => int.Parse(t.AsSpan(sender.Length + 1), System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(Enumerable.Range(0, count), numbers);
    }
}
