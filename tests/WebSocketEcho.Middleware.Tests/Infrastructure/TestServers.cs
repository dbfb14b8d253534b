using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>
/// A real app for a test: either real Kestrel on a loopback port chosen by the OS (port 0), or TestHost (in memory).
/// Logs are captured with a <see cref="FakeLogCollector"/>. Dispose stops the host.
/// </summary>
internal sealed class TestApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestApp(WebApplication app, Uri? baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>Gets the Kestrel address (<c>http://127.0.0.1:port</c>, or <c>https://</c> over TLS); null under TestHost.</summary>
    public Uri? BaseAddress { get; }

    public int Port => BaseAddress?.Port ?? throw new InvalidOperationException("Not a Kestrel app.");

    public IServiceProvider Services => _app.Services;

    public FakeLogCollector Logs => _app.Services.GetFakeLogCollector();

    public TestServer TestServer => _app.GetTestServer();

    /// <summary>Gets what the middleware itself logged (its category only), in order.</summary>
    public IReadOnlyList<FakeLogRecord> MiddlewareLogs =>
        Logs.GetSnapshot().Where(r => r.Category == Log.Category).ToList();

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>, default 10 s) until the middleware has logged a record that matches;
    /// for log lines written after the event a test can await, such as the "connection closed" line (event 2).
    /// </summary>
    public async Task<FakeLogRecord> WaitForMiddlewareLogAsync(Func<FakeLogRecord, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (MiddlewareLogs.FirstOrDefault(match) is { } record)
            {
                return record;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The expected log record was not written. Logged: " + string.Join(" | ", MiddlewareLogs.Select(r => r.Message)));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until the middleware logged the end of connection <paramref name="connectionId"/> (event 2, its last line).</summary>
    public Task<FakeLogRecord> WaitForConnectionClosedLogAsync(string connectionId, TimeSpan? timeout = null) =>
        WaitForMiddlewareLogAsync(r => r.Id.Id == 2 && r.GetStructuredStateValue("ConnectionId") == connectionId, timeout);

    /// <summary>Gets the ws:// (wss:// over TLS) address of <paramref name="path"/> on the Kestrel server.</summary>
    public Uri WebSocketUri(string path) => new($"{(BaseAddress?.Scheme == Uri.UriSchemeHttps ? "wss" : "ws")}://127.0.0.1:{Port}{path}");

    /// <summary>Connects a real <see cref="ClientWebSocket"/> to <paramref name="path"/> on the Kestrel server.</summary>
    public async Task<ClientWebSocket> ConnectClientAsync(string path, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        try
        {
            configure?.Invoke(client.Options);
            await client.ConnectAsync(WebSocketUri(path), TestContext.Current.CancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Connects TestHost's in-memory WebSocket client to <paramref name="path"/> (e.g. "/echo").</summary>
    public Task<WebSocket> ConnectTestHostAsync(string path, Action<WebSocketClient>? configure = null)
    {
        var client = TestServer.CreateWebSocketClient();
        configure?.Invoke(client);
        return client.ConnectAsync(new Uri("ws://localhost" + path), TestContext.Current.CancellationToken);
    }

    /// <summary>The path <see cref="StartKestrelAsync(IMessageHandler, Action{WebSocketHandlerOptions}?)"/> and <see cref="StartTestHostAsync(IMessageHandler, Action{WebSocketHandlerOptions}?)"/> serve the handler on.</summary>
    public const string HandlerPath = "/ws";

    /// <summary>Starts real Kestrel serving <paramref name="handler"/> on <see cref="HandlerPath"/>; other requests get "next:" + path.</summary>
    public static Task<TestApp> StartKestrelAsync(IMessageHandler handler, Action<WebSocketHandlerOptions>? configure = null) =>
        StartKestrelAsync(a => UseHandler(a, handler, configure));

    /// <summary>Starts TestHost serving <paramref name="handler"/> on <see cref="HandlerPath"/>; other requests get "next:" + path.</summary>
    public static Task<TestApp> StartTestHostAsync(IMessageHandler handler, Action<WebSocketHandlerOptions>? configure = null) =>
        StartTestHostAsync(a => UseHandler(a, handler, configure));

    /// <summary>The terminal middleware of test apps: answers "next:" + the path, so a test sees what passed the endpoint by.</summary>
    public static Task NextMiddleware(HttpContext context) => context.Response.WriteAsync("next:" + context.Request.Path);

    /// <summary>
    /// Starts real Kestrel on 127.0.0.1, port 0. <paramref name="configureBuilder"/> runs first, for configuration
    /// sources and other builder settings; <paramref name="configureListen"/> configures the one endpoint, for example
    /// <c>UseHttps</c>. If the host fails to start, the app is disposed and the exception thrown.
    /// </summary>
    public static Task<TestApp> StartKestrelAsync(
        Action<WebApplication> configureApp,
        Action<IServiceCollection>? configureServices = null,
        Action<KestrelServerOptions>? configureKestrel = null,
        HttpProtocols protocols = HttpProtocols.Http1,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<ListenOptions>? configureListen = null) =>
        StartAsync(useTestServer: false, configureApp, configureServices, configureKestrel, protocols, configureBuilder, configureListen);

    /// <summary>Starts the app on TestHost (in memory; its WebSocket client exchanges messages, not frames).</summary>
    public static Task<TestApp> StartTestHostAsync(
        Action<WebApplication> configureApp,
        Action<IServiceCollection>? configureServices = null,
        Action<WebApplicationBuilder>? configureBuilder = null) =>
        StartAsync(useTestServer: true, configureApp, configureServices, null, HttpProtocols.Http1, configureBuilder, null);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(timeout.Token);
        }
        catch (ObjectDisposedException)
        {
            // Already stopped and disposed by the test.
        }

        await _app.DisposeAsync();
    }

    private static void UseHandler(WebApplication app, IMessageHandler handler, Action<WebSocketHandlerOptions>? configure)
    {
        app.UseWebSocketHandler(HandlerPath, handler, configure ?? (static _ => { }));
        app.Run(NextMiddleware);
    }

    private static async Task<TestApp> StartAsync(
        bool useTestServer,
        Action<WebApplication> configureApp,
        Action<IServiceCollection>? configureServices,
        Action<KestrelServerOptions>? configureKestrel,
        HttpProtocols protocols,
        Action<WebApplicationBuilder>? configureBuilder,
        Action<ListenOptions>? configureListen)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddFakeLogging();
        if (useTestServer)
        {
            builder.WebHost.UseTestServer();
        }
        else
        {
            builder.WebHost.ConfigureKestrel(options =>
            {
                options.Listen(System.Net.IPAddress.Loopback, 0, listen =>
                {
                    listen.Protocols = protocols;
                    configureListen?.Invoke(listen);
                });
                configureKestrel?.Invoke(options);
            });
        }

        configureBuilder?.Invoke(builder);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        try
        {
            configureApp(app);
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        Uri? address = null;
        if (!useTestServer)
        {
            address = new Uri(app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        }

        return new TestApp(app, address);
    }
}
