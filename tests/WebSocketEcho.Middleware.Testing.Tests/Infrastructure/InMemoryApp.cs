using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

/// <summary>An app on TestHost (in memory) whose pipeline a test writes; requests no endpoint takes get 404 "next:" + path.</summary>
internal sealed class InMemoryApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InMemoryApp(WebApplication app) => _app = app;

    public TestServer Server => _app.GetTestServer();

    /// <summary>Starts an app serving <paramref name="handler"/> on <paramref name="path"/>.</summary>
    public static Task<InMemoryApp> StartAsync(string path, IMessageHandler handler, Action<WebSocketHandlerOptions>? configure = null) =>
        StartAsync(app => app.UseWebSocketHandler(path, handler, configure ?? (static _ => { })));

    /// <summary>Starts an app serving the README's <see cref="ChatHandler"/> (from DI, with its push service) on <c>/chat</c>.</summary>
    public static Task<InMemoryApp> StartChatAsync() =>
        StartAsync(app => app.UseWebSocketHandler<ChatHandler>("/chat"), services => services.AddWebSocketHandler<ChatHandler>());

    /// <summary>Starts an app whose pipeline <paramref name="configure"/> builds, with services <paramref name="configureServices"/> adds.</summary>
    public static async Task<InMemoryApp> StartAsync(Action<WebApplication> configure, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        configure(app);
        app.Run(static context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return context.Response.WriteAsync("next:" + context.Request.Path);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new InMemoryApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
