namespace WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

/// <summary>
/// One redis-server shared by the tests of a class that never stop it; each test keeps to itself with its own channel
/// prefix. Started on first use, so a machine without redis-server skips each test with the reason.
/// </summary>
public sealed class RedisFixture : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RedisServer? _server;

    internal async Task<RedisServer> GetAsync()
    {
        await _gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return _server ??= await RedisServer.StartAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            await server.DisposeAsync();
        }

        _gate.Dispose();
    }
}

/// <summary>Two instances of the app on one Redis, with a channel prefix of their own; Dispose stops both.</summary>
internal sealed class TwoInstances : IAsyncDisposable
{
    private TwoInstances(BackplaneApp a, BackplaneApp b, string prefix)
    {
        A = a;
        B = b;
        Prefix = prefix;
    }

    /// <summary>Gets the channel prefix both instances use (one per test, so tests on one Redis never meet).</summary>
    public string Prefix { get; }

    public BackplaneApp A { get; }

    public BackplaneApp B { get; }

    public static async Task<TwoInstances> StartAsync(RedisServer redis, Action<RedisBackplaneOptions>? configure = null, bool waitUntilReady = true)
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..12];
        var a = await BackplaneApp.StartAsync(redis.Configuration, prefix, configure);
        BackplaneApp? b = null;
        try
        {
            b = await BackplaneApp.StartAsync(redis.Configuration, prefix, configure);
            if (waitUntilReady)
            {
                await a.WaitUntilReadyAsync();
                await b.WaitUntilReadyAsync();
            }

            return new TwoInstances(a, b, prefix);
        }
        catch
        {
            await a.DisposeAsync();
            if (b is not null)
            {
                await b.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
