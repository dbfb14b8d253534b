using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.DependencyInjection;

/// <summary>
/// <c>UseWebSocketHandler&lt;THandler&gt;</c> and <c>MapWebSocketHandler&lt;THandler&gt;</c>: where the handler comes from,
/// and how long it lives (one instance per endpoint, resolved when the endpoint is added; per-connection services
/// come from the connection's request scope).
/// </summary>
public sealed class HandlerActivationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Registered_handler_instance_serves_the_generic_endpoint(bool mapped)
    {
        var registered = new GreetingHandler(new Greeting("registered"));
        await using var app = await TestApp.StartKestrelAsync(a => AddEndpoint<GreetingHandler>(a, "/ws", mapped), s => s.AddSingleton(registered));
        using var client = await ConnectAsync(app, "/ws");

        Assert.Equal($"registered|{registered.InstanceId}|x", await client.EchoAsync("x", Ct));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Unregistered_handler_is_created_with_its_dependencies_from_DI(bool mapped)
    {
        await using var app = await TestApp.StartKestrelAsync(a => AddEndpoint<GreetingHandler>(a, "/ws", mapped), s => s.AddSingleton(new Greeting("from DI")));
        using var client = await ConnectAsync(app, "/ws");

        Assert.StartsWith("from DI|", await client.EchoAsync("x", Ct), StringComparison.Ordinal);
        Assert.Null(app.Services.GetService<GreetingHandler>());
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Fact]
    public async Task Unregistered_handler_with_a_missing_dependency_fails_when_the_endpoint_is_added_not_on_first_connect()
    {
        var builder = WebApplication.CreateSlimBuilder();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapWebSocketHandler<GreetingHandler>("/ws"));
        Assert.Contains(nameof(Greeting), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_handler_instance_serves_every_connection_of_an_endpoint_and_unregistered_types_get_one_per_endpoint()
    {
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseWebSocketHandler<GreetingHandler>("/a");
                a.MapWebSocketHandler<GreetingHandler>("/b");
            },
            s => s.AddSingleton(new Greeting("g")));

        using var first = await ConnectAsync(app, "/a");
        using var second = await ConnectAsync(app, "/a");
        using var other = await ConnectAsync(app, "/b");
        var firstInstance = (await first.EchoAsync("x", Ct)).Split('|')[1];
        var secondInstance = (await second.EchoAsync("x", Ct)).Split('|')[1];
        var otherInstance = (await other.EchoAsync("x", Ct)).Split('|')[1];

        Assert.Equal(firstInstance, secondInstance);
        Assert.NotEqual(firstInstance, otherInstance);
    }

    [Fact]
    public async Task AddWebSocketHandler_registers_a_singleton_shared_by_every_endpoint_of_that_type()
    {
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseWebSocketHandler<GreetingHandler>("/a");
                a.MapWebSocketHandler<GreetingHandler>("/b");
            },
            s =>
            {
                s.AddSingleton(new Greeting("g"));
                s.AddWebSocketHandler<GreetingHandler>();
            });
        var singleton = app.Services.GetRequiredService<GreetingHandler>();

        using var a = await ConnectAsync(app, "/a");
        using var b = await ConnectAsync(app, "/b");

        Assert.Equal(singleton.InstanceId.ToString(), (await a.EchoAsync("x", Ct)).Split('|')[1]);
        Assert.Equal(singleton.InstanceId.ToString(), (await b.EchoAsync("x", Ct)).Split('|')[1]);
    }

    [Fact]
    public async Task Scoped_services_from_the_connections_RequestServices_live_exactly_as_long_as_the_connection()
    {
        var handler = new ScopeProbeHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler), s => s.AddScoped<ConnectionScoped>());

        using var first = await ConnectAsync(app, "/ws");
        using var second = await ConnectAsync(app, "/ws");
        var firstScoped = await first.ReceiveTextAsync(Ct);
        var secondScoped = await second.ReceiveTextAsync(Ct);
        Assert.NotEqual(firstScoped, secondScoped);

        // The same scope for the whole connection: a message resolves the instance OnConnectedAsync got.
        Assert.Equal(firstScoped, await first.EchoAsync("which?", Ct));

        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        var disposed = await handler.Disposed.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(firstScoped, disposed.Id);
        Assert.True(disposed.AliveInOnDisconnected, "OnDisconnectedAsync must still be able to use the connection's scoped services.");
        Assert.Equal(secondScoped, await second.EchoAsync("still here", Ct));
    }

    private static void AddEndpoint<THandler>(WebApplication app, string path, bool mapped)
        where THandler : class, IMessageHandler
    {
        if (mapped)
        {
            app.MapWebSocketHandler<THandler>(path);
        }
        else
        {
            app.UseWebSocketHandler<THandler>(path);
        }
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestApp app, string path)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri(path), Ct);
        return client;
    }

    internal sealed record Greeting(string Text);

    /// <summary>Replies "greeting|instance id|message": shows which instance, built with which dependency, served the message.</summary>
    internal sealed class GreetingHandler : IMessageHandler
    {
        private readonly Greeting _greeting;

        public GreetingHandler(Greeting greeting) => _greeting = greeting;

        public Guid InstanceId { get; } = Guid.NewGuid();

        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
            connection.SendTextAsync($"{_greeting.Text}|{InstanceId}|{message.GetText()}");
    }

    internal sealed class ConnectionScoped : IDisposable
    {
        public Guid Id { get; } = Guid.NewGuid();

        public bool IsDisposed { get; private set; }

        public Action<ConnectionScoped>? OnDispose { get; set; }

        public void Dispose()
        {
            IsDisposed = true;
            OnDispose?.Invoke(this);
        }
    }

    /// <summary>Resolves a scoped service per connection and reports when the scope disposes it.</summary>
    internal sealed class ScopeProbeHandler : IMessageHandler
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, bool> _aliveInOnDisconnected = new();

        public System.Threading.Channels.Channel<(string Id, bool AliveInOnDisconnected)> Disposed { get; } =
            System.Threading.Channels.Channel.CreateUnbounded<(string, bool)>();

        public ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            var scoped = connection.HttpContext.RequestServices.GetRequiredService<ConnectionScoped>();
            scoped.OnDispose = s => Disposed.Writer.TryWrite((s.Id.ToString(), _aliveInOnDisconnected.GetValueOrDefault(s.Id)));
            return connection.SendTextAsync(scoped.Id.ToString());
        }

        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
            connection.SendTextAsync(connection.HttpContext.RequestServices.GetRequiredService<ConnectionScoped>().Id.ToString());

        public ValueTask OnDisconnectedAsync(IWebSocketConnection connection, DisconnectInfo disconnect)
        {
            var scoped = connection.HttpContext.RequestServices.GetRequiredService<ConnectionScoped>();
            _aliveInOnDisconnected[scoped.Id] = !scoped.IsDisposed;
            return ValueTask.CompletedTask;
        }
    }
}
