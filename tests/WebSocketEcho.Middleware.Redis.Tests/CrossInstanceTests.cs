using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StackExchange.Redis;
using WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Redis.Tests;

/// <summary>
/// Two real Kestrel instances on one real redis-server: every kind of push target reaches the connections of both,
/// once, in order per publisher. Each test ends with a marker message sent the same way, and checks that nothing else
/// (no duplicate, nothing meant for others) arrived before it.
/// </summary>
public sealed class CrossInstanceTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task All_from_one_instance_reaches_every_connection_on_both_once_and_reports_Published()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1");
        using var b1 = await apps.B.ConnectAsync("b1");
        using var b2 = await apps.B.ConnectAsync("b2");

        var result = await apps.A.Push.All.SendTextAsync("hello", Ct);

        Assert.Equal(1, result.Reached);
        Assert.Equal(BackplaneDelivery.Published, result.Backplane);
        await apps.A.Push.All.SendTextAsync("end", Ct);
        foreach (var client in new[] { a1, b1, b2 })
        {
            Assert.Equal(["hello"], await client.ReceiveUntilAsync("end"));
        }

        Assert.True(apps.A.Backplane.GetStatus().PublishedTotal >= 2);
        Assert.True(apps.B.Backplane.GetStatus().ReceivedTotal >= 2);
        Assert.Equal(0, apps.A.Backplane.GetStatus().ReceivedTotal);
    }

    [Fact]
    public async Task Published_and_received_messages_are_counted_on_the_WebSocketEcho_Middleware_Redis_meter()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var b1 = await apps.B.ConnectAsync("b1");
        using var published = new MetricCollector<long>(apps.A.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware.Redis", "websocket.backplane.redis.published");
        using var received = new MetricCollector<long>(apps.B.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware.Redis", "websocket.backplane.redis.received");
        using var connected = new MetricCollector<int>(apps.A.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware.Redis", "websocket.backplane.redis.connected");

        await apps.A.Push.All.SendTextAsync("one", Ct);
        await apps.A.Push.All.SendTextAsync("two", Ct);
        Assert.Equal("one", await b1.ReceiveTextAsync());
        Assert.Equal("two", await b1.ReceiveTextAsync());

        Assert.Equal(2, published.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(2, received.GetMeasurementSnapshot().EvaluateAsCounter());
        connected.RecordObservableInstruments();
        Assert.Equal(1, connected.LastMeasurement?.Value);
    }

    [Fact]
    public async Task A_message_a_client_sends_through_its_handler_reaches_the_clients_of_the_other_instance()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1");
        using var b1 = await apps.B.ConnectAsync("b1");

        await b1.SendTextAsync("from b1");

        Assert.Equal("from b1", await a1.ReceiveTextAsync());
        Assert.Equal("from b1", await b1.ReceiveTextAsync());
    }

    [Fact]
    public async Task All_except_a_connection_of_the_other_instance_leaves_only_that_one_out()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1");
        using var b1 = await apps.B.ConnectAsync("b1");
        using var b2 = await apps.B.ConnectAsync("b2");

        await apps.A.Push.All.Except(b1.Id, a1.Id).SendTextAsync("not for a1 or b1", Ct);
        await apps.A.Push.All.SendTextAsync("end", Ct);

        Assert.Equal([], await a1.ReceiveUntilAsync("end"));
        Assert.Equal([], await b1.ReceiveUntilAsync("end"));
        Assert.Equal(["not for a1 or b1"], await b2.ReceiveUntilAsync("end"));
    }

    [Fact]
    public async Task Connection_ids_held_by_the_other_instance_are_reached_each_once()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1");
        using var b1 = await apps.B.ConnectAsync("b1");
        using var b2 = await apps.B.ConnectAsync("b2");

        var one = await apps.A.Push.Connection(b1.Id).SendTextAsync("just b1", Ct);
        var three = await apps.A.Push.Connections(a1.Id, b1.Id, b2.Id, b1.Id).SendTextAsync("all three", Ct);
        await apps.A.Push.All.SendTextAsync("end", Ct);

        Assert.Equal((0, BackplaneDelivery.Published), (one.Reached, one.Backplane));
        Assert.Equal((1, BackplaneDelivery.Published), (three.Reached, three.Backplane));
        Assert.Equal(["all three"], await a1.ReceiveUntilAsync("end"));
        Assert.Equal(["just b1", "all three"], await b1.ReceiveUntilAsync("end"));
        Assert.Equal(["all three"], await b2.ReceiveUntilAsync("end"));
    }

    [Fact]
    public async Task A_connection_id_of_this_instance_does_not_go_to_Redis()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1");

        var result = await apps.A.Push.Connection(a1.Id).SendTextAsync("local", Ct);

        Assert.Equal((1, BackplaneDelivery.None), (result.Reached, result.Backplane));
        Assert.Equal("local", await a1.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_user_with_connections_on_both_instances_gets_the_message_on_each_and_other_users_do_not()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var annA = await apps.A.ConnectAsync("ann@A", user: "ann");
        using var annB = await apps.B.ConnectAsync("ann@B", user: "ann");
        using var bob = await apps.B.ConnectAsync("bob@B", user: "bob");
        using var carol = await apps.A.ConnectAsync("carol@A", user: "carol");

        var toAnn = await apps.B.Push.User("ann").SendTextAsync("for ann", Ct);
        await apps.A.Push.Users("ann", "bob").SendTextAsync("for ann and bob", Ct);
        await apps.A.Push.All.SendTextAsync("end A", Ct);
        await apps.B.Push.All.SendTextAsync("end B", Ct);

        Assert.Equal((1, BackplaneDelivery.Published), (toAnn.Reached, toAnn.Backplane));
        Assert.Equal(["for ann", "for ann and bob"], await annA.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal(["for ann", "for ann and bob"], await annB.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal(["for ann and bob"], await bob.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal([], await carol.ReceiveFromAllUntilAsync("end A", "end B"));
    }

    [Fact]
    public async Task A_group_with_members_on_both_instances_reaches_its_members_only()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1", groups: "room");
        using var a2 = await apps.A.ConnectAsync("a2");
        using var b1 = await apps.B.ConnectAsync("b1", groups: "room");
        using var b2 = await apps.B.ConnectAsync("b2", groups: "other");

        var result = await apps.A.Push.Group("room").SendTextAsync("for the room", Ct);
        await apps.B.Push.Group("room").Except(b1.Id).SendTextAsync("for the room but b1", Ct);
        await apps.A.Push.All.SendTextAsync("end A", Ct);
        await apps.B.Push.All.SendTextAsync("end B", Ct);

        Assert.Equal((1, BackplaneDelivery.Published), (result.Reached, result.Backplane));
        Assert.Equal(["for the room", "for the room but b1"], await a1.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal([], await a2.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal(["for the room"], await b1.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal([], await b2.ReceiveFromAllUntilAsync("end A", "end B"));
    }

    [Fact]
    public async Task Several_groups_reach_a_member_of_more_than_one_of_them_once_on_either_instance()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1", groups: ["x", "y"]);
        using var b1 = await apps.B.ConnectAsync("b1", groups: ["x", "y"]);
        using var b2 = await apps.B.ConnectAsync("b2", groups: "y");
        using var b3 = await apps.B.ConnectAsync("b3", groups: "z");

        await apps.A.Push.Groups("x", "y").SendTextAsync("x or y", Ct);
        await apps.B.Push.Groups("x", "y").SendTextAsync("x or y from B", Ct);
        await apps.A.Push.All.SendTextAsync("end A", Ct);
        await apps.B.Push.All.SendTextAsync("end B", Ct);

        Assert.Equal(["x or y", "x or y from B"], await a1.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal(["x or y", "x or y from B"], await b1.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal(["x or y", "x or y from B"], await b2.ReceiveFromAllUntilAsync("end A", "end B"));
        Assert.Equal([], await b3.ReceiveFromAllUntilAsync("end A", "end B"));
    }

    [Fact]
    public async Task AddToGroupAsync_and_RemoveFromGroupAsync_for_a_connection_of_the_other_instance_take_effect_there()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var a1 = await apps.A.ConnectAsync("a1");
        using var b1 = await apps.B.ConnectAsync("b1");

        Assert.True(await apps.A.Push.AddToGroupAsync(b1.Id, "late", Ct));
        await apps.A.Push.Group("late").SendTextAsync("b1 is in late", Ct);
        Assert.True(await apps.A.Push.RemoveFromGroupAsync(b1.Id, "late", Ct));
        await apps.A.Push.Group("late").SendTextAsync("b1 left late", Ct);
        await apps.A.Push.All.SendTextAsync("end", Ct);

        Assert.Equal(["b1 is in late"], await b1.ReceiveUntilAsync("end"));
        Assert.Equal([], await a1.ReceiveUntilAsync("end"));
    }

    [Fact]
    public async Task AddToGroupAsync_for_an_unknown_connection_of_the_other_instance_or_of_no_instance_is_false()
    {
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var b1 = await apps.B.ConnectAsync("b1");
        var instanceB = BackplaneReceiver.GetInstanceId(b1.Id)!;

        Assert.False(await apps.A.Push.AddToGroupAsync(instanceB + "-fffff", "room", Ct));
        Assert.False(await apps.A.Push.AddToGroupAsync("zzzzzzzzzz-1", "room", Ct));
    }

    [Fact]
    public async Task Frames_of_an_unknown_version_or_malformed_are_counted_and_skipped_and_delivery_goes_on()
    {
        var server = await redis.GetAsync();
        await using var apps = await TwoInstances.StartAsync(server);
        using var b1 = await apps.B.ConnectAsync("b1");
        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var allChannel = RedisChannel.Literal($"{apps.Prefix}:a:{typeof(ChatHandler).FullName}");

        var fromTheFuture = PushFrame.Encode("futureinst", 1, new BackplaneMessage("x", PushTargetKind.All, [], [], System.Net.WebSockets.WebSocketMessageType.Text, "v2"u8.ToArray()), []);
        fromTheFuture[0] = 2;
        Assert.Equal(2, await raw.GetSubscriber().PublishAsync(allChannel, fromTheFuture));
        Assert.Equal(2, await raw.GetSubscriber().PublishAsync(allChannel, new byte[] { 1, 1, 200 }));
        Assert.Equal(2, await raw.GetSubscriber().PublishAsync(allChannel, "not a frame at all"));
        await apps.A.Push.All.SendTextAsync("still fine", Ct);

        Assert.Equal("still fine", await b1.ReceiveTextAsync());
        await BackplaneApp.WaitForAsync(() => apps.B.BackplaneLogs.Any(r => r.Id.Id == 8), "the skipped-message log");
        var skipped = apps.B.BackplaneLogs.Single(r => r.Id.Id == 8);
        Assert.Equal("unknown_version", skipped.GetStructuredStateValue("SkipReason"));
        Assert.Equal(1, skipped.GetStructuredStateValue("Count") is { } count ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) : 0);
        Assert.Equal((3L, 1L), (apps.B.Backplane.GetStatus().SkippedTotal, apps.B.Backplane.GetStatus().ReceivedTotal));

        // A reads the same channel on its own (its own "still fine" comes back to it and is passed over, unseen).
        await BackplaneApp.WaitForAsync(() => apps.A.Backplane.GetStatus().SkippedTotal == 3, "instance A to skip the three frames");
    }

    [Fact]
    public async Task Messages_of_one_publisher_arrive_in_order_awaited_or_not_and_none_twice()
    {
        const int Count = 300;
        await using var apps = await TwoInstances.StartAsync(await redis.GetAsync());
        using var b1 = await apps.B.ConnectAsync("b1", groups: "g");

        for (var i = 0; i < Count; i++)
        {
            await apps.A.Push.All.SendTextAsync($"awaited {i}", Ct);
        }

        // Calls made one after another without waiting for each: still published in call order.
        var sends = new List<Task<PushResult>>();
        for (var i = 0; i < Count; i++)
        {
            sends.Add(apps.A.Push.Group("g").SendTextAsync($"pipelined {i}", Ct).AsTask());
        }

        Assert.All(await Task.WhenAll(sends), r => Assert.Equal(BackplaneDelivery.Published, r.Backplane));
        await apps.A.Push.Group("g").SendTextAsync("end", Ct);

        var expected = Enumerable.Range(0, Count).Select(i => $"awaited {i}").Concat(Enumerable.Range(0, Count).Select(i => $"pipelined {i}"));
        Assert.Equal(expected, await b1.ReceiveUntilAsync("end"));
    }
}
