using WebSocketEcho.Tests.Shared;

namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>
/// Holds <see cref="MachineTestLock.HeavyTests"/> exclusively while the chaos collection runs (a collection fixture:
/// taken before its first test, released after its last). <c>dotnet test WebSocketEcho.Middleware.sln</c> runs the
/// test assemblies at the same time; the browser tests' Chromium and the packaging tests' dotnet pack/publish hold the
/// same lock shared, so the chaos tests' time and memory bounds are measured with the machine to themselves.
/// </summary>
public sealed class ChaosMachineLock : IAsyncLifetime
{
    private IDisposable? _hold;

    public async ValueTask InitializeAsync() =>
        _hold = await MachineTestLock.HeavyTests.AcquireExclusiveAsync("the middleware chaos tests", cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        _hold?.Dispose();
        return ValueTask.CompletedTask;
    }
}
