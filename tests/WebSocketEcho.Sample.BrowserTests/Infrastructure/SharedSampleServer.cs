using WebSocketEcho.Tests.Shared;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// One sample process shared by the tests that only talk to it (they each use their own browser context and socket).
/// It starts when the test run starts, alongside the browser, and is killed when the run ends. Tests that stop the
/// server or count its metrics start their own <see cref="SampleServer"/>. Before anything starts, it takes
/// <see cref="MachineTestLock.HeavyTests"/> shared, and keeps it until the run ends: this assembly's processes (the
/// samples, Chromium) never run alongside the middleware's chaos tests, which hold it exclusively.
/// </summary>
public sealed class SharedSampleServer : IAsyncLifetime
{
    private Task<SampleServer>? _start;
    private IDisposable? _machineLock;

    /// <summary>Gets the running sample; a failed start fails each test that asks, with the sample's output.</summary>
    internal Task<SampleServer> GetAsync() =>
        _start ?? throw new InvalidOperationException("The shared sample was not started.");

    public async ValueTask InitializeAsync()
    {
        // The first fixture of the run (AssemblyInfo.cs): every test of this assembly runs while the lock is held.
        _machineLock = await MachineTestLock.HeavyTests.AcquireSharedAsync("the browser tests (sample processes and Chromium)");

        // Not awaited: the sample boots while the browser launches; tests await it through GetAsync.
        _start = SampleServer.StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_start is null)
            {
                return;
            }

            // A start that failed has already cleaned up after itself.
            await ((Task)_start).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_start.IsCompletedSuccessfully)
            {
                await _start.Result.DisposeAsync();
            }
        }
        finally
        {
            _machineLock?.Dispose();
        }
    }
}
