using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

/// <summary>
/// One instance of a scaled-out app: real Kestrel on a loopback port chosen by the OS, <see cref="ChatHandler"/> on
/// <c>/chat</c>, the Redis backplane (one line), its health check, and captured logs. Dispose stops it.
/// </summary>
internal sealed class BackplaneApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BackplaneApp(WebApplication app, Uri address, TimeSpan startup)
    {
        _app = app;
        Address = address;
        StartupTime = startup;
    }

    public Uri Address { get; }

    /// <summary>Gets how long <c>StartAsync</c> took (it must not wait for Redis).</summary>
    public TimeSpan StartupTime { get; }

    public IServiceProvider Services => _app.Services;

    public IWebSocketPush<ChatHandler> Push => _app.Services.GetRequiredService<IWebSocketPush<ChatHandler>>();

    internal RedisBackplane Backplane => _app.Services.GetRequiredService<RedisBackplane>();

    public FakeLogCollector Logs => _app.Services.GetFakeLogCollector();

    /// <summary>Gets what the backplane logged (its category only), in order.</summary>
    public IReadOnlyList<FakeLogRecord> BackplaneLogs => [.. Logs.GetSnapshot().Where(r => r.Category == RedisLog.Category)];

    public static async Task<BackplaneApp> StartAsync(string redisConfiguration, string channelPrefix, Action<RedisBackplaneOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddFakeLogging();
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<IWebSocketUserIdProvider, QueryUserIdProvider>();
        builder.Services.AddWebSocketHandler<ChatHandler>().AddRedisBackplane(redisConfiguration).Configure(options =>
        {
            options.ChannelPrefix = channelPrefix;
            configure?.Invoke(options);
        });
        builder.Services.AddHealthChecks().AddWebSocketRedisBackplane();

        var app = builder.Build();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            app.UseWebSocketHandler<ChatHandler>("/chat");
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new BackplaneApp(app, new Uri(app.Urls.First()), stopwatch.Elapsed);
    }

    /// <summary>
    /// Waits until the backplane is connected and subscribed to at least <paramref name="subscriptions"/> channels
    /// (by default its own channel and the scope's "all" channel).
    /// </summary>
    public Task WaitUntilReadyAsync(int subscriptions = 2, TimeSpan? timeout = null) =>
        WaitForAsync(() => Backplane.IsConnected && Backplane.Subscriptions >= subscriptions, $"the backplane to connect and subscribe to {subscriptions} channels", timeout);

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds; fails after <paramref name="timeout"/> (default 15 s).</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit} waiting for {what}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Connects a client to <c>/chat</c> as <paramref name="user"/> (if any), in <paramref name="groups"/>; returns once the server registered it.</summary>
    public async Task<ChatClient> ConnectAsync(string name, string? user = null, params string[] groups)
    {
        var query = new List<string>();
        if (user is not null)
        {
            query.Add("user=" + Uri.EscapeDataString(user));
        }

        if (groups.Length > 0)
        {
            query.Add("groups=" + Uri.EscapeDataString(string.Join(',', groups)));
        }

        var socket = new System.Net.WebSockets.ClientWebSocket();
        try
        {
            var uri = new Uri($"ws://{Address.Authority}/chat{(query.Count > 0 ? "?" + string.Join('&', query) : string.Empty)}");
            await socket.ConnectAsync(uri, TestContext.Current.CancellationToken);
            var client = new ChatClient(socket, string.Empty, name);
            var hello = await client.ReceiveTextAsync();
            Assert.StartsWith("id:", hello, StringComparison.Ordinal);
            return new ChatClient(socket, hello[3..], name);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task<HealthReportEntry> CheckHealthAsync()
    {
        var report = await _app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        return report.Entries[RedisBackplaneHealthChecksBuilderExtensions.DefaultName];
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
