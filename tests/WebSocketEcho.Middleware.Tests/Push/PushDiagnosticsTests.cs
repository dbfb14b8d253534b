using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// What push reports: <c>websocket.server.push.messages</c> (one per call, tagged with scope and target),
/// <c>websocket.server.push.deliveries</c> (the connections reached, tagged with scope, target and origin),
/// <c>websocket.server.push.groups</c> (groups with a member, by scope), and log events 17-21 with their ids and names.
/// </summary>
public sealed class PushDiagnosticsTests
{
    private const string Meter = "WebSocketEcho.Middleware";
    private const string ScopeTag = "websocket.push.scope";
    private const string TargetTag = "websocket.push.target";
    private const string OriginTag = "websocket.push.origin";

    private static readonly string s_alphaScope = typeof(AlphaHandler).FullName!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Push_messages_count_each_call_and_deliveries_count_the_connections_reached_tagged_with_scope_target_and_local_origin()
    {
        await using var app = await StartAsync();
        using var messages = Collect(app, "websocket.server.push.messages");
        using var deliveries = Collect(app, "websocket.server.push.deliveries");
        var members = await app.ConnectManyAsync("/ws", 3);
        using var beta = await app.ConnectAsync("/beta");
        var push = app.Push<AlphaHandler>();
        foreach (var member in members.Take(2))
        {
            Assert.True(await push.AddToGroupAsync(member.Id, "room", Ct));
        }

        await push.All.SendTextAsync("a", Ct);                                 // 3
        await push.All.Except(members[0].Id).SendTextAsync("a", Ct);           // 2
        await push.Connection(members[2].Id).SendTextAsync("c", Ct);           // 1
        await push.Connections(members[0].Id, "nobody").SendTextAsync("c", Ct); // 1
        await push.Group("room").SendBinaryAsync(new byte[] { 1 }, Ct);        // 2
        await push.Groups("room", "empty").SendTextAsync("g", Ct);             // 2
        await push.Group("empty").SendTextAsync("g", Ct);                      // 0
        await push.User("nobody").SendTextAsync("u", Ct);                      // 0
        await app.Push<BetaHandler>().All.SendTextAsync("b", Ct);              // 1, Beta's scope

        var calls = messages.GetMeasurementSnapshot();
        Assert.All(calls, m => Assert.Equal(1, m.Value));
        Assert.Equal(
            ["all", "all", "connections", "connections", "groups", "groups", "groups", "users"],
            calls.Where(m => (string?)m.Tags[ScopeTag] == s_alphaScope).Select(m => (string)m.Tags[TargetTag]!).Order());
        Assert.Single(calls, m => (string?)m.Tags[ScopeTag] == typeof(BetaHandler).FullName && (string?)m.Tags[TargetTag] == "all");

        var reached = deliveries.GetMeasurementSnapshot();
        Assert.All(reached, m => Assert.Equal("local", m.Tags[OriginTag]));
        Assert.All(reached, m => Assert.True(m.Value > 0, "A push that reached nobody records no delivery."));
        Assert.Equal(5, SumTagged(reached, s_alphaScope, "all"));
        Assert.Equal(2, SumTagged(reached, s_alphaScope, "connections"));
        Assert.Equal(4, SumTagged(reached, s_alphaScope, "groups"));
        Assert.Equal(0, SumTagged(reached, s_alphaScope, "users"));
        Assert.Equal(1, SumTagged(reached, typeof(BetaHandler).FullName!, "all"));
        foreach (var member in members)
        {
            member.Dispose();
        }
    }

    [Fact]
    public async Task Deliveries_of_a_message_from_another_instance_are_tagged_with_the_backplane_origin_and_count_no_push_message()
    {
        var backplane = new RecordingBackplane();
        await using var app = await StartAsync(services => services.AddSingleton<WebSocketBackplane>(backplane));
        using var messages = Collect(app, "websocket.server.push.messages");
        using var deliveries = Collect(app, "websocket.server.push.deliveries");
        using var a = await app.ConnectAsync("/ws");
        using var b = await app.ConnectAsync("/ws");
        var receiver = await backplane.Started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        // A push from this instance: delivered here, then published for the others.
        var local = await app.Push<AlphaHandler>().All.SendTextAsync("local", Ct);
        Assert.Equal(2, local.Reached);
        Assert.Equal(BackplaneDelivery.Published, local.Backplane);
        var published = Assert.Single(backplane.Published);
        Assert.Equal(s_alphaScope, published.Scope);
        Assert.Equal(PushTargetKind.All, published.TargetKind);
        Assert.Equal("local"u8.ToArray(), published.Payload.ToArray());

        // A push from another instance, as the backplane hands it over.
        var message = new BackplaneMessage(s_alphaScope, PushTargetKind.All, [], [a.Id], WebSocketMessageType.Text, "remote"u8.ToArray());
        Assert.Equal(1, receiver.Deliver(message));
        Assert.Equal(0, receiver.Deliver(new BackplaneMessage("Unknown.Scope", PushTargetKind.All, [], [], WebSocketMessageType.Text, "x"u8.ToArray())));

        Assert.Single(messages.GetMeasurementSnapshot());
        var reached = deliveries.GetMeasurementSnapshot();
        Assert.Equal(2, reached.Where(m => (string?)m.Tags[OriginTag] == "local").Sum(m => m.Value));
        var remote = Assert.Single(reached, m => (string?)m.Tags[OriginTag] == "backplane");
        Assert.Equal(1, remote.Value);
        Assert.Equal(s_alphaScope, remote.Tags[ScopeTag]);
        Assert.Equal("all", remote.Tags[TargetTag]);
        await app.ExpectExactlyAsync<AlphaHandler>(a, "local");
        await app.ExpectExactlyAsync<AlphaHandler>(b, "local", "remote");
    }

    [Fact]
    public async Task The_group_count_goes_up_with_a_groups_first_member_and_down_with_its_last_tagged_with_the_scope()
    {
        await using var app = await StartAsync();
        using var groups = Collect(app, "websocket.server.push.groups");
        using var a = await app.ConnectAsync("/ws");
        using var b = await app.ConnectAsync("/ws");
        using var beta = await app.ConnectAsync("/beta");
        var push = app.Push<AlphaHandler>();

        Assert.True(await push.AddToGroupAsync(a.Id, "x", Ct));   // +1
        Assert.True(await push.AddToGroupAsync(b.Id, "x", Ct));   // no change
        Assert.True(await push.AddToGroupAsync(a.Id, "y", Ct));   // +1
        Assert.True(await app.Push<BetaHandler>().AddToGroupAsync(beta.Id, "x", Ct)); // +1 in Beta's scope
        Assert.True(await push.RemoveFromGroupAsync(a.Id, "x", Ct)); // no change
        Assert.True(await push.RemoveFromGroupAsync(b.Id, "x", Ct)); // -1

        Assert.Equal(new long[] { 1, 1, -1 }, groups.GetMeasurementSnapshot().Where(m => (string?)m.Tags[ScopeTag] == s_alphaScope).Select(m => m.Value));
        Assert.Equal(1, groups.GetMeasurementSnapshot().Where(m => (string?)m.Tags[ScopeTag] == typeof(BetaHandler).FullName).Sum(m => m.Value));

        // a ends while in y: its groups go with it.
        await a.CloseAsync();
        await app.App.WaitForConnectionClosedLogAsync(a.Id);
        Assert.Equal(0, groups.GetMeasurementSnapshot().Where(m => (string?)m.Tags[ScopeTag] == s_alphaScope).Sum(m => m.Value));
    }

    [Fact]
    public async Task Group_changes_and_pushes_to_unknown_connections_are_logged_at_Debug_with_events_17_18_and_19()
    {
        await using var app = await StartAsync();
        using var a = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();

        Assert.True(await push.AddToGroupAsync(a.Id, "room", Ct));
        Assert.True(await push.AddToGroupAsync(a.Id, "room", Ct));
        Assert.True(await push.RemoveFromGroupAsync(a.Id, "room", Ct));
        Assert.False(await push.AddToGroupAsync("nobody", "room", Ct));
        Assert.Equal(0, (await push.Connection("nobody").SendTextAsync("x", Ct)).Reached);

        var changes = Events(app, 17);
        Assert.Equal(2, changes.Count); // the second join changed nothing: not logged
        Assert.All(changes, r => AssertEvent(r, LogLevel.Debug, "GroupChanged", a.Id));
        Assert.Equal(new string?[] { "joined", "left" }, changes.Select(r => r.GetStructuredStateValue("GroupChange")));
        Assert.All(changes, r => Assert.Equal("room", r.GetStructuredStateValue("Group")));
        Assert.All(changes, r => Assert.Equal(s_alphaScope, r.GetStructuredStateValue("PushScope")));

        var notFound = Assert.Single(Events(app, 18));
        AssertEvent(notFound, LogLevel.Debug, "GroupConnectionNotFound", "nobody");
        Assert.Equal("room", notFound.GetStructuredStateValue("Group"));
        AssertEvent(Assert.Single(Events(app, 19)), LogLevel.Debug, "PushConnectionNotFound", "nobody");
    }

    [Fact]
    public async Task A_backplane_that_throws_is_logged_as_a_Warning_with_event_20_and_counted_as_dropped_while_local_delivery_happens()
    {
        var backplane = new RecordingBackplane { Throw = true };
        await using var app = await StartAsync(services => services.AddSingleton<WebSocketBackplane>(backplane));
        using var a = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();

        var result = await push.All.SendTextAsync("still delivered here", Ct);

        Assert.Equal(1, result.Reached);
        Assert.Equal(BackplaneDelivery.Dropped, result.Backplane);
        var failed = Assert.Single(Events(app, 20));
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Equal("BackplaneFailed", failed.Id.Name);
        Assert.Equal(nameof(WebSocketBackplane.PublishAsync), failed.GetStructuredStateValue("Operation"));
        Assert.Equal(s_alphaScope, failed.GetStructuredStateValue("PushScope"));
        Assert.IsType<InvalidOperationException>(failed.Exception);
        await app.ExpectExactlyAsync<AlphaHandler>(a, "still delivered here");
    }

    [Fact]
    public async Task A_queued_push_that_is_not_sent_is_logged_at_Debug_with_event_21()
    {
        // The member stops reading: its writer is stuck behind a 1 MiB backlog, a push queues behind it, and the stuck
        // send times out, so the connection ends before the queued push's turn.
        await using var app = await PushApp.StartAlphaAsync(kestrel: true, o =>
        {
            o.MaxPendingSendBytes = 4 * 1024 * 1024;
            o.SendTimeout = TimeSpan.FromSeconds(1);
        });
        using var blocked = await app.ConnectSlowAsync();
        var push = app.Push<AlphaHandler>();
        await app.BlockWithBacklogAsync(blocked);

        Assert.Equal(1, (await push.All.SendTextAsync("queued", Ct)).Reached);

        var notSent = await app.App.WaitForMiddlewareLogAsync(r => r.Id.Id == 21, TimeSpan.FromSeconds(30));
        AssertEvent(notSent, LogLevel.Debug, "PushNotSent", blocked.Id);
        Assert.False(string.IsNullOrEmpty(notSent.GetStructuredStateValue("Detail")));
    }

    private static Task<PushApp> StartAsync(Action<IServiceCollection>? configureServices = null) => PushApp.StartAsync(
        kestrel: false,
        a =>
        {
            a.UseWebSocketHandler<AlphaHandler>("/ws");
            a.UseWebSocketHandler<BetaHandler>("/beta");
        },
        services =>
        {
            configureServices?.Invoke(services);
            services.AddWebSocketHandler<AlphaHandler>();
            services.AddWebSocketHandler<BetaHandler>();
        });

    private static MetricCollector<long> Collect(PushApp app, string instrument) =>
        new(app.Services.GetRequiredService<IMeterFactory>(), Meter, instrument);

    private static long SumTagged(IEnumerable<CollectedMeasurement<long>> measurements, string scope, string target) =>
        measurements.Where(m => (string?)m.Tags[ScopeTag] == scope && (string?)m.Tags[TargetTag] == target).Sum(m => m.Value);

    private static List<FakeLogRecord> Events(PushApp app, int id) => app.App.MiddlewareLogs.Where(r => r.Id.Id == id).ToList();

    private static void AssertEvent(FakeLogRecord record, LogLevel level, string name, string connectionId)
    {
        Assert.Equal(level, record.Level);
        Assert.Equal(name, record.Id.Name);
        Assert.Equal(connectionId, record.GetStructuredStateValue("ConnectionId"));
    }

    /// <summary>A backplane with no other instance: it records what it is asked to publish, or throws when told to.</summary>
    private sealed class RecordingBackplane : WebSocketBackplane
    {
        public bool Throw { get; init; }

        public TaskCompletionSource<BackplaneReceiver> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<BackplaneMessage> Published { get; } = [];

        public override ValueTask<BackplaneDelivery> PublishAsync(BackplaneMessage message, CancellationToken cancellationToken)
        {
            if (Throw)
            {
                throw new InvalidOperationException("The backplane is broken.");
            }

            lock (Published)
            {
                Published.Add(message);
            }

            return ValueTask.FromResult(BackplaneDelivery.Published);
        }

        public override ValueTask<bool> ChangeGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken) =>
            ValueTask.FromResult(false);

        protected internal override void Start(BackplaneReceiver receiver) => Started.TrySetResult(receiver);
    }
}
