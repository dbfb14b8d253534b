using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// A <see cref="TestApp"/> (real Kestrel on port 0, or TestHost) for push tests, with clients that know their server-side
/// connection id: every handler used with it announces the id as its first message (see <see cref="ProbeHandler{TSelf}"/>).
/// </summary>
internal sealed class PushApp : IAsyncDisposable
{
    /// <summary>Where <see cref="StartAlphaAsync"/> serves <see cref="AlphaHandler"/>.</summary>
    public const string AlphaPath = "/ws";

    private HttpMessageInvoker? _slowInvoker;

    private PushApp(TestApp app, bool kestrel)
    {
        App = app;
        Kestrel = kestrel;
    }

    public TestApp App { get; }

    public bool Kestrel { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<PushApp> StartAsync(
        bool kestrel,
        Action<WebApplication> configureApp,
        Action<IServiceCollection>? configureServices = null,
        Action<KestrelServerOptions>? configureKestrel = null)
    {
        var app = kestrel
            ? await TestApp.StartKestrelAsync(configureApp, configureServices, configureKestrel)
            : await TestApp.StartTestHostAsync(configureApp, configureServices);
        return new PushApp(app, kestrel);
    }

    /// <summary>
    /// Starts an app serving <see cref="AlphaHandler"/> (from DI, with options set by <paramref name="configure"/>) on
    /// <see cref="AlphaPath"/>; on Kestrel, peers opened with <see cref="ConnectSlowAsync"/> get small socket buffers.
    /// </summary>
    public static Task<PushApp> StartAlphaAsync(bool kestrel, Action<WebSocketHandlerOptions>? configure = null, Action<IServiceCollection>? configureServices = null) =>
        StartAsync(
            kestrel,
            a =>
            {
                if (kestrel)
                {
                    SocketBuffers.UseSmallSendBuffersForSlowPeers(a);
                }

                a.UseWebSocketHandler<AlphaHandler>(AlphaPath);
            },
            services =>
            {
                configureServices?.Invoke(services);
                services.AddWebSocketHandler<AlphaHandler>(configure ?? (static _ => { }));
            });

    /// <summary>Gets the push service of <typeparamref name="THandler"/> from the app's services, as any class of the app would.</summary>
    public IWebSocketPush<THandler> Push<THandler>()
        where THandler : class, IMessageHandler =>
        Services.GetRequiredService<IWebSocketPush<THandler>>();

    /// <summary>Gets this instance's push scope of <typeparamref name="THandler"/>: what it holds (connections, groups, users).</summary>
    public PushScope Scope<THandler>()
        where THandler : class, IMessageHandler =>
        Services.GetRequiredService<PushHubs>().GetScope(typeof(THandler));

    /// <summary>Creates an HTTP client for the app (Kestrel or TestHost).</summary>
    public HttpClient CreateHttpClient() => Kestrel ? new HttpClient { BaseAddress = App.BaseAddress } : App.TestServer.CreateClient();

    /// <summary>
    /// Opens a WebSocket to <paramref name="path"/> and reads the connection id the handler announces. Headers go on the
    /// upgrade request (for example <see cref="TestAuthHandler.UserIdHeader"/>).
    /// </summary>
    public Task<Member> ConnectAsync(string path, params (string Name, string Value)[] headers) => ConnectAsync(path, invoker: null, headers);

    /// <summary>Like <see cref="ConnectAsync(string, ValueTuple{string, string}[])"/>; on Kestrel the client connects through <paramref name="invoker"/> (see <see cref="SocketBuffers"/>).</summary>
    public async Task<Member> ConnectAsync(string path, HttpMessageInvoker? invoker, params (string Name, string Value)[] headers)
    {
        WebSocket socket = Kestrel
            ? await ConnectKestrelAsync(path, invoker, headers)
            : await App.ConnectTestHostAsync(path, client => client.ConfigureRequest = request =>
            {
                foreach (var (name, value) in headers)
                {
                    request.Headers[name] = value;
                }
            });
        try
        {
            var first = await socket.ReceiveTextAsync(TestContext.Current.CancellationToken);
            Assert.StartsWith(AlphaHandler.IdPrefix, first, StringComparison.Ordinal);
            return new Member(socket, first[AlphaHandler.IdPrefix.Length..]);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a connection to <see cref="AlphaPath"/> with small socket buffers at both ends (see <see cref="SocketBuffers"/>),
    /// for a peer that stops reading: the test reads from it only when it wants to. Kestrel only.
    /// </summary>
    public Task<Member> ConnectSlowAsync() => ConnectAsync(AlphaPath + SocketBuffers.SlowQuery, _slowInvoker ??= SocketBuffers.SlowClientInvoker());

    /// <summary>
    /// Pushes <paramref name="size"/> random bytes to a slow member that does not read (default 1 MiB, more than Kestrel's
    /// output buffer and the socket buffers hold): that send cannot finish until the member reads, so every later push to
    /// it waits in its queue. Returns the bytes, which the member gets first once it reads.
    /// </summary>
    public async Task<byte[]> BlockWithBacklogAsync(Member slow, int size = 1024 * 1024)
    {
        var backlog = new byte[size];
        Random.Shared.NextBytes(backlog);
        Assert.Equal(1, (await Push<AlphaHandler>().Connection(slow.Id).SendBinaryAsync(backlog, TestContext.Current.CancellationToken)).Reached);
        return backlog;
    }

    /// <summary>Opens <paramref name="count"/> connections to <paramref name="path"/>, one after the other.</summary>
    public async Task<Member[]> ConnectManyAsync(string path, int count)
    {
        var members = new Member[count];
        for (var i = 0; i < count; i++)
        {
            members[i] = await ConnectAsync(path);
        }

        return members;
    }

    /// <summary>
    /// Checks that <paramref name="member"/> received exactly <paramref name="expected"/>, in order, and nothing else: after
    /// them, its next message is a marker pushed to it alone now (one caller's pushes to one connection stay in order).
    /// </summary>
    public async Task ExpectExactlyAsync<THandler>(Member member, params string[] expected)
        where THandler : class, IMessageHandler
    {
        foreach (var text in expected)
        {
            Assert.Equal(text, await member.ReceiveTextAsync());
        }

        var marker = "marker for " + member.Id;
        Assert.Equal(1, (await Push<THandler>().Connection(member.Id).SendTextAsync(marker, TestContext.Current.CancellationToken)).Reached);
        Assert.Equal(marker, await member.ReceiveTextAsync());
    }

    /// <summary>Waits (polling, up to <paramref name="timeout"/>, default 30 s) until <paramref name="condition"/> holds; fails naming <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for " + what + ".");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        _slowInvoker?.Dispose();
    }

    private async Task<ClientWebSocket> ConnectKestrelAsync(string path, HttpMessageInvoker? invoker, (string Name, string Value)[] headers)
    {
        var client = new ClientWebSocket();
        try
        {
            foreach (var (name, value) in headers)
            {
                client.Options.SetRequestHeader(name, value);
            }

            await client.ConnectAsync(App.WebSocketUri(path), invoker, TestContext.Current.CancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}

/// <summary>A client connection and the id the server gave it.</summary>
internal sealed class Member(WebSocket socket, string id) : IDisposable
{
    public WebSocket Socket { get; } = socket;

    public string Id { get; } = id;

    public Task SendAsync(string text) => Socket.SendTextAsync(text, TestContext.Current.CancellationToken);

    public Task<ReceivedMessage> ReceiveAsync(TimeSpan? timeout = null) => Socket.ReceiveMessageAsync(timeout);

    /// <summary>Receives the next message and checks it is text; returns the text.</summary>
    public async Task<string> ReceiveTextAsync()
    {
        var message = await ReceiveAsync();
        Assert.True(message.Type == WebSocketMessageType.Text, $"Expected a text message, got {message}.");
        return message.Text;
    }

    /// <summary>Sends a command to the probe handler and returns its reply.</summary>
    public async Task<string> AskAsync(string command)
    {
        await SendAsync(command);
        return await ReceiveTextAsync();
    }

    /// <summary>Closes from the client side and waits for the server's answer.</summary>
    public async Task CloseAsync()
    {
        await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
    }

    public override string ToString() => Id;

    public void Dispose() => Socket.Dispose();
}
