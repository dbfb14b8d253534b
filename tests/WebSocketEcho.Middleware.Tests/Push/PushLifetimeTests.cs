using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Chaos;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Push state lives exactly as long as the connections: once they have ended (closed or dropped), a full garbage
/// collection finds no connection object alive (no group, user or snapshot still holds one), and the scope holds no
/// connection, group or user entry; a group that keeps another member keeps only that member.
/// </summary>
public sealed class PushLifetimeTests
{
    private const int Connections = 40;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task No_connection_object_or_group_or_user_entry_stays_alive_after_the_connections_end(bool kestrel)
    {
        var handler = new WeakTrackingHandler();
        await using var app = await PushApp.StartAsync(
            kestrel,
            a => a.UseWebSocketHandler("/ws", handler),
            services =>
            {
                services.AddWebSocketPush();
                services.AddSingleton<IWebSocketUserIdProvider, QueryUserIdProvider>();
            });
        using var groups = new MetricSum(app.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware", "websocket.server.push.groups");
        var scope = app.Scope<WeakTrackingHandler>();
        using var stays = await app.ConnectAsync("/ws?user=stays");
        var push = app.Push<WeakTrackingHandler>();
        foreach (var group in new[] { "all", "g0", "g1" })
        {
            Assert.True(await push.AddToGroupAsync(stays.Id, group, Ct));
        }

        // The others join groups (from the handler and from outside), belong to users, get pushes (so every group's and
        // user's member snapshot is built with them in it), then end: half close, half drop.
        await UseAndEndConnectionsAsync(app, push);
        await PushApp.WaitUntilAsync(() => scope.ConnectionCount == 1, "the connections to be forgotten");

        // Each connection's receive loop lets go of it a moment after the scope forgot it: collect until they are gone.
        await PushApp.WaitUntilAsync(() => CountAlive(handler.Connections, except: stays.Id) == 0, $"the {Connections} ended connection objects to be collected");
        Assert.Equal(3, scope.GroupCount);
        Assert.Equal(3, groups.Sum);
        Assert.Equal(1, scope.UserCount);
        Assert.Equal(1, (await push.Groups("all", "g0", "g1", "g2").SendTextAsync("only the one that stays", Ct)).Reached);
        await app.ExpectExactlyAsync<WeakTrackingHandler>(stays, "to all", "to groups", "only the one that stays");

        // The last member ends: nothing is left at all.
        await stays.CloseAsync();
        await app.App.WaitForConnectionClosedLogAsync(stays.Id);
        await PushApp.WaitUntilAsync(() => CountAlive(handler.Connections, except: null) == 0, "the last connection object to be collected");
        Assert.Equal(0, scope.ConnectionCount);
        Assert.Equal(0, scope.GroupCount);
        Assert.Equal(0, scope.UserCount);
        Assert.Equal(0, groups.Sum);
        Assert.DoesNotContain(app.Services.GetRequiredService<PushHubs>().GetLocalInterests(), i => i.Kind != PushTargetKind.All);
    }

    /// <summary>In a method of its own, so no reference to a client or connection outlives it in the test's state machine.</summary>
    private static async Task UseAndEndConnectionsAsync(PushApp app, IWebSocketPush<WeakTrackingHandler> push)
    {
        var members = new Member[Connections];
        for (var i = 0; i < Connections; i++)
        {
            members[i] = await app.ConnectAsync($"/ws?user=u{i % 5}");
            Assert.Equal($"joined:g{i % 3}:True", await members[i].AskAsync($"join:g{i % 3}"));
            Assert.True(await push.AddToGroupAsync(members[i].Id, "all", Ct));
        }

        Assert.Equal(Connections + 1, (await push.Group("all").SendTextAsync("to all", Ct)).Reached);
        Assert.Equal(Connections, (await push.Users("u0", "u1", "u2", "u3", "u4").SendTextAsync("to users", Ct)).Reached);
        Assert.True((await push.Groups("g0", "g1", "g2").SendTextAsync("to groups", Ct)).Reached > Connections);
        for (var i = 0; i < Connections; i++)
        {
            Assert.Equal("to all", await members[i].ReceiveTextAsync());
            Assert.Equal("to users", await members[i].ReceiveTextAsync());
            Assert.Equal("to groups", await members[i].ReceiveTextAsync());
            if (i % 2 == 0)
            {
                await members[i].CloseAsync();
            }
            else
            {
                members[i].Socket.Abort();
            }

            members[i].Dispose();
        }
    }

    private static int CountAlive(ConcurrentQueue<(string Id, WeakReference Connection)> connections, string? except)
    {
        ProcessResources.MeasureAfterFullGc();
        return connections.Count(c => c.Id != except && c.Connection.IsAlive);
    }

    /// <summary>The user is the <c>user</c> query string value.</summary>
    private sealed class QueryUserIdProvider : IWebSocketUserIdProvider
    {
        public string? GetUserId(IWebSocketConnection connection) => connection.HttpContext.Request.Query["user"];
    }

    /// <summary>A probe handler that keeps only weak references to its connections.</summary>
    private sealed class WeakTrackingHandler : ProbeHandler<WeakTrackingHandler>
    {
        public ConcurrentQueue<(string Id, WeakReference Connection)> Connections { get; } = new();

        public override ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            Connections.Enqueue((connection.Id, new WeakReference(connection)));
            return base.OnConnectedAsync(connection);
        }
    }
}
