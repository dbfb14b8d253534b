using Microsoft.Extensions.Hosting;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>Begins connecting to Redis when the app starts (without waiting for it), even before the first endpoint or push needs the backplane.</summary>
internal sealed class RedisBackplaneStarter : IHostedService
{
    private readonly RedisBackplane _backplane;

    public RedisBackplaneStarter(RedisBackplane backplane) => _backplane = backplane;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _backplane.EnsureRunning();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
