using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
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

    /// <summary>Gets the Kestrel address (<c>http://127.0.0.1:port</c>); null under TestHost.</summary>
    public Uri? BaseAddress { get; }

    public int Port => BaseAddress?.Port ?? throw new InvalidOperationException("Not a Kestrel app.");

    public IServiceProvider Services => _app.Services;

    public FakeLogCollector Logs => _app.Services.GetFakeLogCollector();

    public TestServer TestServer => _app.GetTestServer();

    /// <summary>Gets the ws:// address of <paramref name="path"/> on the Kestrel server.</summary>
    public Uri WebSocketUri(string path) => new($"ws://127.0.0.1:{Port}{path}");

    /// <summary>
    /// Starts real Kestrel on 127.0.0.1, port 0. <paramref name="configureBuilder"/> runs first, for configuration
    /// sources and other builder settings. If the host fails to start, the app is disposed and the exception thrown.
    /// </summary>
    public static Task<TestApp> StartKestrelAsync(
        Action<WebApplication> configureApp,
        Action<IServiceCollection>? configureServices = null,
        Action<KestrelServerOptions>? configureKestrel = null,
        HttpProtocols protocols = HttpProtocols.Http1,
        Action<WebApplicationBuilder>? configureBuilder = null) =>
        StartAsync(useTestServer: false, configureApp, configureServices, configureKestrel, protocols, configureBuilder);

    /// <summary>Starts the app on TestHost (in memory; its WebSocket client exchanges messages, not frames).</summary>
    public static Task<TestApp> StartTestHostAsync(
        Action<WebApplication> configureApp,
        Action<IServiceCollection>? configureServices = null,
        Action<WebApplicationBuilder>? configureBuilder = null) =>
        StartAsync(useTestServer: true, configureApp, configureServices, null, HttpProtocols.Http1, configureBuilder);

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

    private static async Task<TestApp> StartAsync(
        bool useTestServer,
        Action<WebApplication> configureApp,
        Action<IServiceCollection>? configureServices,
        Action<KestrelServerOptions>? configureKestrel,
        HttpProtocols protocols,
        Action<WebApplicationBuilder>? configureBuilder)
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
                options.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = protocols);
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
