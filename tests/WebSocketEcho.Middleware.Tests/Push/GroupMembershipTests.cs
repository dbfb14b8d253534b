using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Group membership: joining and leaving from the handler and from anywhere by connection id, idempotently; a group exists
/// while it has a member; a connection leaves all its groups when it ends, and an empty group costs nothing (the group
/// count, in the scope and in the <c>websocket.server.push.groups</c> metric, goes back to 0).
/// </summary>
public sealed class GroupMembershipTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Joining_and_leaving_from_the_handler_and_from_anywhere_is_idempotent_and_a_group_exists_while_it_has_members(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        using var groups = GroupMetric(app);
        using var a = await app.ConnectAsync("/ws");
        using var b = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();
        var scope = app.Scope<AlphaHandler>();

        // From the handler (a's own message) and from outside (by b's id); twice each changes nothing.
        Assert.Equal("joined:room:True", await a.AskAsync("join:room"));
        Assert.Equal("joined:room:True", await a.AskAsync("join:room"));
        Assert.True(await push.AddToGroupAsync(b.Id, "room", Ct));
        Assert.True(await push.AddToGroupAsync(b.Id, "room", Ct));
        Assert.Equal(1, scope.GroupCount);
        Assert.Equal(1, groups.Sum);
        Assert.True(scope.HasLocalInterest(PushTargetKind.Groups, "room"));
        Assert.Equal(2, (await push.Group("room").SendTextAsync("both", Ct)).Reached);
        Assert.Equal("both", await a.ReceiveTextAsync());
        Assert.Equal("both", await b.ReceiveTextAsync());

        // Leaving: from outside for a, from the handler for b; leaving a group one is not in is fine (the connection exists).
        Assert.True(await push.RemoveFromGroupAsync(a.Id, "room", Ct));
        Assert.True(await push.RemoveFromGroupAsync(a.Id, "room", Ct));
        Assert.True(await push.RemoveFromGroupAsync(a.Id, "never-joined", Ct));
        Assert.Equal(1, (await push.Group("room").SendTextAsync("b only", Ct)).Reached);
        Assert.Equal("b only", await b.ReceiveTextAsync());
        Assert.Equal("left:room:True", await b.AskAsync("leave:room"));
        Assert.Equal(0, (await push.Group("room").SendTextAsync("nobody", Ct)).Reached);
        Assert.Equal(0, scope.GroupCount);
        Assert.Equal(0, groups.Sum);
        Assert.False(scope.HasLocalInterest(PushTargetKind.Groups, "room"));

        // A group can be created again by a new first member.
        Assert.True(await push.AddToGroupAsync(a.Id, "room", Ct));
        Assert.Equal(1, (await push.Group("room").SendTextAsync("a again", Ct)).Reached);
        Assert.Equal(1, groups.Sum);

        await app.ExpectExactlyAsync<AlphaHandler>(a, "a again");
        await app.ExpectExactlyAsync<AlphaHandler>(b);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_connection_leaves_all_its_groups_when_it_ends_and_empty_groups_cost_nothing(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        using var groups = GroupMetric(app);
        var push = app.Push<AlphaHandler>();
        var scope = app.Scope<AlphaHandler>();
        using var stays = await app.ConnectAsync("/ws");
        var leaving = await app.ConnectAsync("/ws");
        foreach (var group in new[] { "shared", "solo-1", "solo-2" })
        {
            Assert.True(await push.AddToGroupAsync(leaving.Id, group, Ct));
        }

        Assert.True(await push.AddToGroupAsync(stays.Id, "shared", Ct));
        Assert.Equal(3, scope.GroupCount);
        Assert.Equal(3, groups.Sum);

        await leaving.CloseAsync();
        leaving.Dispose();
        await app.App.WaitForConnectionClosedLogAsync(leaving.Id);

        Assert.Equal(1, scope.GroupCount);
        Assert.Equal(1, groups.Sum);
        Assert.Equal(1, (await push.Group("shared").SendTextAsync("shared", Ct)).Reached);
        Assert.Equal(0, (await push.Groups("solo-1", "solo-2").SendTextAsync("solo", Ct)).Reached);
        Assert.Equal(1, scope.ConnectionCount);

        // An ended connection cannot join again: no group is created for it.
        Assert.False(await push.AddToGroupAsync(leaving.Id, "solo-1", Ct));
        Assert.False(await push.RemoveFromGroupAsync(leaving.Id, "shared", Ct));
        Assert.Equal(1, scope.GroupCount);

        await stays.CloseAsync();
        await app.App.WaitForConnectionClosedLogAsync(stays.Id);
        Assert.Equal(0, scope.GroupCount);
        Assert.Equal(0, scope.ConnectionCount);
        Assert.Equal(0, groups.Sum);
        Assert.DoesNotContain(app.Services.GetRequiredService<PushHubs>().GetLocalInterests(), i => i.Kind != PushTargetKind.All);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_handler_can_join_groups_in_OnConnectedAsync_and_is_reached_by_a_group_push_right_after(bool kestrel)
    {
        await using var app = await PushApp.StartAsync(
            kestrel,
            a => a.MapWebSocketHandler<RoomFromRouteHandler>("/rooms/{room}"),
            services => services.AddWebSocketHandler<RoomFromRouteHandler>());
        using var red1 = await app.ConnectAsync("/rooms/red");
        using var red2 = await app.ConnectAsync("/rooms/red");
        using var blue = await app.ConnectAsync("/rooms/blue");
        var push = app.Push<RoomFromRouteHandler>();

        Assert.Equal(2, (await push.Group("red").SendTextAsync("red room", Ct)).Reached);
        Assert.Equal(1, (await push.Group("blue").SendTextAsync("blue room", Ct)).Reached);
        await app.ExpectExactlyAsync<RoomFromRouteHandler>(red1, "red room");
        await app.ExpectExactlyAsync<RoomFromRouteHandler>(red2, "red room");
        await app.ExpectExactlyAsync<RoomFromRouteHandler>(blue, "blue room");
    }


    private static MetricSum GroupMetric(PushApp app) =>
        new(app.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware", "websocket.server.push.groups");

    /// <summary>Joins the group named by the route's <c>room</c> value when the connection opens, then announces its id.</summary>
    private sealed class RoomFromRouteHandler(IWebSocketPush<RoomFromRouteHandler> push) : IMessageHandler
    {
        public async ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            Assert.True(await push.AddToGroupAsync(connection.Id, (string)connection.HttpContext.Request.RouteValues["room"]!));
            await connection.SendTextAsync(AlphaHandler.IdPrefix + connection.Id);
        }

        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) => ValueTask.CompletedTask;
    }
}
