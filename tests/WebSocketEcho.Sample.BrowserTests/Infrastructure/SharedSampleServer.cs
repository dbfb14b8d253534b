namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// One sample process shared by the tests that only talk to it (they each use their own browser context and socket).
/// It starts when the test run starts, alongside the browser, and is killed when the run ends. Tests that stop the
/// server or count its metrics start their own <see cref="SampleServer"/>.
/// </summary>
public sealed class SharedSampleServer : IAsyncLifetime
{
    private Task<SampleServer>? _start;

    /// <summary>Gets the running sample; a failed start fails each test that asks, with the sample's output.</summary>
    internal Task<SampleServer> GetAsync() =>
        _start ?? throw new InvalidOperationException("The shared sample was not started.");

    public ValueTask InitializeAsync()
    {
        // Not awaited: the sample boots while the browser launches; tests await it through GetAsync.
        _start = SampleServer.StartAsync(CancellationToken.None);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
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
}
