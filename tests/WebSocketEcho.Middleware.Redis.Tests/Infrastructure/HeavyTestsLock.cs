using WebSocketEcho.Tests.Shared;

namespace WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

/// <summary>
/// Holds the machine-wide test lock (tests/Shared/MachineTestLock.cs) shared for the whole run: this assembly's
/// redis-server processes and pairs of Kestrel hosts never run alongside the middleware's chaos tests, which assert time
/// and memory bounds and hold the lock exclusively.
/// </summary>
public sealed class HeavyTestsLock : IAsyncLifetime
{
    private IDisposable? _machineLock;

    public async ValueTask InitializeAsync() =>
        _machineLock = await MachineTestLock.HeavyTests.AcquireSharedAsync("the Redis backplane tests (redis-server and Kestrel hosts)");

    public ValueTask DisposeAsync()
    {
        _machineLock?.Dispose();
        return ValueTask.CompletedTask;
    }
}
