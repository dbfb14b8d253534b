using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// A backplane that fails where it should report (its subscriptions throw, synchronously or later) never costs a
/// connection or a group change: the connection opens and works, <c>AddToGroupAsync</c> returns true, local delivery goes
/// on, and each failure is logged as event 20.
/// </summary>
public sealed class BackplaneFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Failing_subscriptions_leave_connections_groups_and_local_delivery_working(bool throwSynchronously)
    {
        var backplane = new FailingSubscriptionsBackplane(throwSynchronously);
        await using var app = await PushApp.StartAsync(
            kestrel: false,
            a =>
            {
                a.UseAuthentication();
                a.UseWebSocketHandler<AlphaHandler>("/ws");
            },
            services =>
            {
                services.AddSingleton<WebSocketBackplane>(backplane);
                TestAuthHandler.AddTo(services);
                services.AddWebSocketHandler<AlphaHandler>();
            });

        // A user's first connection asks the backplane to subscribe to that user: it fails, the connection opens anyway.
        using var ann = await app.ConnectAsync("/ws", (TestAuthHandler.UserHeader, "Ann"), (TestAuthHandler.UserIdHeader, "u-ann"));
        var push = app.Push<AlphaHandler>();
        Assert.Equal("still open", await ann.AskAsync("still open"));

        // The group's first member makes the backplane subscribe to the group: it fails, the member is in the group anyway.
        Assert.True(await push.AddToGroupAsync(ann.Id, "room", Ct));
        Assert.Equal(1, (await push.Group("room").SendTextAsync("to the room", Ct)).Reached);
        Assert.Equal(1, (await push.User("u-ann").SendTextAsync("to ann", Ct)).Reached);
        await app.ExpectExactlyAsync<AlphaHandler>(ann, "to the room", "to ann");

        await PushApp.WaitUntilAsync(
            () => app.App.MiddlewareLogs.Count(r => r.Id.Id == 20) >= 3,
            "event 20 for the scope's, the user's and the group's failed subscriptions");
        Assert.All(
            app.App.MiddlewareLogs.Where(r => r.Id.Id == 20),
            r => Assert.Equal(nameof(WebSocketBackplane.OnInterestAddedAsync), r.GetStructuredStateValue("Operation")));
    }

    private sealed class FailingSubscriptionsBackplane(bool throwSynchronously) : WebSocketBackplane
    {
        public override ValueTask<BackplaneDelivery> PublishAsync(BackplaneMessage message, CancellationToken cancellationToken) =>
            ValueTask.FromResult(BackplaneDelivery.Published);

        public override ValueTask<bool> ChangeGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken) =>
            ValueTask.FromResult(false);

        protected internal override void Start(BackplaneReceiver receiver)
        {
        }

        protected internal override ValueTask OnInterestAddedAsync(string scope, PushTargetKind kind, string key, CancellationToken cancellationToken) =>
            throwSynchronously
                ? throw new InvalidOperationException("The backplane cannot subscribe.")
                : FailLaterAsync();

        private static async ValueTask FailLaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("The backplane's subscription failed.");
        }
    }
}
