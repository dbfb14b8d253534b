using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// <c>push.User(id)</c> and <c>push.Users(...)</c>: by default the user id is the upgrade request's NameIdentifier claim (not
/// the Name); a registered <see cref="IWebSocketUserIdProvider"/> replaces that. A user's connections are reachable until
/// each ends, and a user with no connection left costs nothing.
/// </summary>
public sealed class UserTargetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task By_default_a_user_is_the_NameIdentifier_claim_of_the_upgrade_request(bool kestrel)
    {
        await using var app = await PushApp.StartAsync(
            kestrel,
            a =>
            {
                a.UseAuthentication();
                a.UseWebSocketHandler<AlphaHandler>("/ws");
            },
            services =>
            {
                TestAuthHandler.AddTo(services);
                services.AddWebSocketHandler<AlphaHandler>();
            });
        using var ann1 = await app.ConnectAsync("/ws", (TestAuthHandler.UserHeader, "Ann Smith"), (TestAuthHandler.UserIdHeader, "u-ann"));
        using var ann2 = await app.ConnectAsync("/ws", (TestAuthHandler.UserHeader, "Ann Smith"), (TestAuthHandler.UserIdHeader, "u-ann"));
        using var bob = await app.ConnectAsync("/ws", (TestAuthHandler.UserHeader, "Bob"), (TestAuthHandler.UserIdHeader, "u-bob"));
        using var nameOnly = await app.ConnectAsync("/ws", (TestAuthHandler.UserHeader, "Carol"));
        using var anonymous = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();

        Assert.Equal(2, (await push.User("u-ann").SendTextAsync("to ann", Ct)).Reached);
        Assert.Equal(3, (await push.Users("u-ann", "u-bob").SendTextAsync("to ann and bob", Ct)).Reached);
        Assert.Equal(3, (await push.Users("u-bob", "u-ann", "u-bob", "u-nobody").SendTextAsync("listed twice", Ct)).Reached);
        Assert.Equal(1, (await push.User("u-ann").Except(ann1.Id).SendTextAsync("ann's other tab", Ct)).Reached);

        // The Name claim is not the user id, user ids are case-sensitive, and an unknown user reaches nobody.
        Assert.Equal(0, (await push.User("Ann Smith").SendTextAsync("by name", Ct)).Reached);
        Assert.Equal(0, (await push.User("Carol").SendTextAsync("by name", Ct)).Reached);
        Assert.Equal(0, (await push.User("U-ANN").SendTextAsync("other case", Ct)).Reached);
        Assert.Equal(0, (await push.User("u-nobody").SendTextAsync("nobody", Ct)).Reached);
        Assert.Equal(2, app.Scope<AlphaHandler>().UserCount);

        await app.ExpectExactlyAsync<AlphaHandler>(ann1, "to ann", "to ann and bob", "listed twice");
        await app.ExpectExactlyAsync<AlphaHandler>(ann2, "to ann", "to ann and bob", "listed twice", "ann's other tab");
        await app.ExpectExactlyAsync<AlphaHandler>(bob, "to ann and bob", "listed twice");
        await app.ExpectExactlyAsync<AlphaHandler>(nameOnly);
        await app.ExpectExactlyAsync<AlphaHandler>(anonymous);

        // A user's connections stay reachable until each ends; the last one's end removes the user.
        await ann1.CloseAsync();
        await app.App.WaitForConnectionClosedLogAsync(ann1.Id);
        Assert.Equal(1, (await push.User("u-ann").SendTextAsync("ann, one tab left", Ct)).Reached);
        Assert.Equal("ann, one tab left", await ann2.ReceiveTextAsync());
        await ann2.CloseAsync();
        await app.App.WaitForConnectionClosedLogAsync(ann2.Id);
        Assert.Equal(0, (await push.User("u-ann").SendTextAsync("ann gone", Ct)).Reached);
        Assert.Equal(1, app.Scope<AlphaHandler>().UserCount);
        Assert.False(app.Scope<AlphaHandler>().HasLocalInterest(PushTargetKind.Users, "u-ann"));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task A_registered_user_id_provider_replaces_the_default_and_is_asked_once_per_connection_before_OnConnectedAsync(bool kestrel, bool registeredFirst)
    {
        var provider = new QueryUserIdProvider();
        var handler = new UserAwareHandler();
        await using var app = await PushApp.StartAsync(
            kestrel,
            a => a.UseWebSocketHandler("/ws", handler),
            services =>
            {
                // Either order works: the provider is looked up when the push services start.
                if (registeredFirst)
                {
                    services.AddSingleton<IWebSocketUserIdProvider>(provider);
                    services.AddWebSocketPush();
                }
                else
                {
                    services.AddWebSocketPush();
                    services.AddSingleton<IWebSocketUserIdProvider>(provider);
                }
            });

        // The handler pushes to the connection's own user from OnConnectedAsync: the user is already known then.
        using var ann = await app.ConnectAsync("/ws?user=ann");
        Assert.Equal("welcome ann (1)", await ann.ReceiveTextAsync());
        using var ann2 = await app.ConnectAsync("/ws?user=ann");
        Assert.Equal("welcome ann (2)", await ann.ReceiveTextAsync());
        Assert.Equal("welcome ann (2)", await ann2.ReceiveTextAsync());
        using var nobody = await app.ConnectAsync("/ws");
        Assert.Equal("no user", await nobody.ReceiveTextAsync());
        using var empty = await app.ConnectAsync("/ws?user=");
        Assert.Equal("no user", await empty.ReceiveTextAsync());

        var push = app.Push<UserAwareHandler>();
        Assert.Equal(2, (await push.User("ann").SendTextAsync("to ann", Ct)).Reached);
        Assert.Equal(1, app.Scope<UserAwareHandler>().UserCount);
        Assert.Equal(4, provider.Calls);
        Assert.Equal(4, handler.ConnectedWithUser.Count);

        await app.ExpectExactlyAsync<UserAwareHandler>(ann, "to ann");
        await app.ExpectExactlyAsync<UserAwareHandler>(ann2, "to ann");
        await app.ExpectExactlyAsync<UserAwareHandler>(nobody);
        await app.ExpectExactlyAsync<UserAwareHandler>(empty);
    }

    [Fact]
    public async Task A_user_id_provider_that_throws_closes_that_connection_with_1011_and_the_handler_never_hears_of_it()
    {
        var provider = new QueryUserIdProvider();
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(
            a => a.UseWebSocketHandler("/ws", handler),
            services =>
            {
                services.AddWebSocketPush();
                services.AddSingleton<IWebSocketUserIdProvider>(provider);
            });

        using var bad = await app.ConnectClientAsync("/ws?user=throw");
        var close = await bad.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InternalServerError, close.CloseStatus);
        await bad.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        var error = await app.WaitForMiddlewareLogAsync(r => r.Id.Id == 5);
        Assert.Equal(nameof(IWebSocketUserIdProvider.GetUserId), error.GetStructuredStateValue("Callback"));
        Assert.IsType<InvalidOperationException>(error.Exception);
        var badId = error.GetStructuredStateValue("ConnectionId")!;
        await app.WaitForConnectionClosedLogAsync(badId);

        // The handler's calls come in pairs: it was never told the connection opened, so it is not told it ended.
        Assert.Empty(handler.Events);
        Assert.Equal(0, app.Services.GetRequiredService<PushHubs>().GetScope(typeof(RecordingHandler)).ConnectionCount);

        // Another connection is not affected.
        using var good = await app.ConnectClientAsync("/ws?user=ann");
        Assert.Equal("hello", await good.RoundTripAsync("hello"));
        Assert.Equal(1, (await app.Services.GetRequiredService<IWebSocketPush<RecordingHandler>>().User("ann").SendTextAsync("to ann", Ct)).Reached);
        Assert.Equal("to ann", await good.ReceiveTextAsync(Ct));
    }

    /// <summary>The user is the <c>user</c> query string value; "throw" makes it throw.</summary>
    private sealed class QueryUserIdProvider : IWebSocketUserIdProvider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public string? GetUserId(IWebSocketConnection connection)
        {
            Interlocked.Increment(ref _calls);
            var user = connection.HttpContext.Request.Query["user"].ToString();
            return user == "throw" ? throw new InvalidOperationException("The user store is down.") : user;
        }
    }

    /// <summary>Greets the connection's user, through a push to that user, from OnConnectedAsync.</summary>
    private sealed class UserAwareHandler : IMessageHandler
    {
        private readonly ConcurrentDictionary<string, int> _tabs = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> ConnectedWithUser { get; } = new();

        public async ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            await connection.SendTextAsync(AlphaHandler.IdPrefix + connection.Id);
            var push = connection.HttpContext.RequestServices.GetRequiredService<IWebSocketPush<UserAwareHandler>>();
            var user = connection.HttpContext.Request.Query["user"].ToString();
            ConnectedWithUser.Enqueue(user);
            if (user.Length == 0)
            {
                await connection.SendTextAsync("no user");
                return;
            }

            var tabs = _tabs.AddOrUpdate(user, 1, static (_, n) => n + 1);
            var result = await push.User(user).SendTextAsync($"welcome {user} ({tabs})");
            Assert.Equal(tabs, result.Reached);
        }

        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) => ValueTask.CompletedTask;
    }
}
