using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Tracing;

/// <summary>
/// Nobody listens to the source <c>WebSocketEcho.Middleware</c>: no activity is created, and the handler runs under the
/// upgrade request's activity exactly as if tracing did not exist. Listeners are process-wide, so this runs alone.
/// </summary>
[Collection(NoListenerSerial.Name)]
public sealed class NoListenerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class ObservingHandler : IMessageHandler
    {
        public List<(string Callback, Activity? Current)> Seen { get; } = [];

        public ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            Seen.Add(("connected", Activity.Current));
            return ValueTask.CompletedTask;
        }

        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
        {
            Seen.Add(("message", Activity.Current));
            return connection.SendTextAsync(message.Payload);
        }

        public ValueTask OnDisconnectedAsync(IWebSocketConnection connection, DisconnectInfo disconnect)
        {
            Seen.Add(("disconnected", Activity.Current));
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task Without_a_listener_on_the_source_no_activity_is_created_and_every_callback_runs_under_the_upgrade_request()
    {
        // Only ASP.NET Core's request activities are listened to: the connection has an upgrade request activity.
        using var hosting = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivityRecorder.HostingSource,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(hosting);
        Assert.False(WebSocketActivitySource.Source.HasListeners());

        var handler = new ObservingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/tracing/none", handler));
        using (var client = await app.ConnectClientAsync("/tracing/none"))
        {
            Assert.Equal("hi", await client.EchoAsync("hi", Ct));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        }

        // Event 2, "connection closed", is logged after OnDisconnectedAsync returned.
        await app.WaitForMiddlewareLogAsync(r => r.Id.Id == 2);
        Assert.Equal(["connected", "message", "disconnected"], handler.Seen.Select(s => s.Callback));

        // Had the middleware started an activity around a callback (or cleared the current one), the callback would see it.
        var upgrade = handler.Seen[0].Current;
        Assert.NotNull(upgrade);
        Assert.Equal(ActivityRecorder.RequestOperation, upgrade.OperationName);
        Assert.All(handler.Seen, s => Assert.Same(upgrade, s.Current));
    }
}

/// <summary>Tests that need no other test's activity listener attached while they run.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NoListenerSerial
{
    public const string Name = "Tracing without listeners (not parallel)";
}
