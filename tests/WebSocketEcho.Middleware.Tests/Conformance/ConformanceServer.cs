using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// The server every RFC 6455 conformance class talks to: real Kestrel on a loopback port chosen by the OS, started
/// once per test class (class fixture), serving the product's <see cref="EchoMessageHandler"/> (pure echo) on a few
/// endpoints that differ only in their limits. Keep-alive is off so no server ping can interleave with the frames a
/// test expects; the close timeout is short so a case the server gets wrong ends quickly.
/// </summary>
public sealed class ConformanceServer : IAsyncLifetime
{
    /// <summary>Default limits (1 MiB messages, 4096 fragments).</summary>
    public const string EchoPath = "/echo";

    /// <summary>Same as <see cref="EchoPath"/>, but with a one-minute close timeout (to tell a prompt TCP close from a timed-out one).</summary>
    public const string LongCloseTimeoutPath = "/echo-long-close-timeout";

    /// <summary>Messages of at most <see cref="SmallMaxMessageSize"/> bytes.</summary>
    public const string SizeLimitedPath = "/limited/size";

    /// <summary>Messages of at most <see cref="SmallMaxFragments"/> fragments.</summary>
    public const string FragmentLimitedPath = "/limited/fragments";

    public const int SmallMaxMessageSize = 4096;

    public const int SmallMaxFragments = 16;

    private TestApp? _app;

    /// <summary>Gets the close timeout of every endpoint but <see cref="LongCloseTimeoutPath"/>.</summary>
    internal static TimeSpan CloseTimeout { get; } = TimeSpan.FromSeconds(3);

    internal int Port => (_app ?? throw new InvalidOperationException("The server is not started.")).Port;

    public async ValueTask InitializeAsync()
    {
        var handler = new EchoMessageHandler();
        _app = await TestApp.StartKestrelAsync(app =>
        {
            app.UseWebSocketHandler(EchoPath, handler, o => Common(o));
            app.UseWebSocketHandler(LongCloseTimeoutPath, handler, o => Common(o).CloseTimeout = TimeSpan.FromMinutes(1));
            app.UseWebSocketHandler(SizeLimitedPath, handler, o =>
            {
                Common(o).ReceiveBufferSize = 1024;
                o.MaxMessageSize = SmallMaxMessageSize;
            });
            app.UseWebSocketHandler(FragmentLimitedPath, handler, o => Common(o).MaxFragmentsPerMessage = SmallMaxFragments);
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>Opens a raw connection to <paramref name="path"/> and checks the server switched protocols.</summary>
    internal async Task<RawWebSocketClient> ConnectAsync(string path = EchoPath)
    {
        var client = await RawWebSocketClient.ConnectAsync(Port, path, cancellationToken: TestContext.Current.CancellationToken);
        if (client.Handshake.StatusCode != 101)
        {
            await client.DisposeAsync();
            Assert.Fail($"The handshake on {path} was refused: {client.Handshake.StatusLine}");
        }

        return client;
    }

    private static WebSocketHandlerOptions Common(WebSocketHandlerOptions options)
    {
        options.KeepAliveInterval = TimeSpan.Zero;
        options.CloseTimeout = CloseTimeout;
        return options;
    }
}
