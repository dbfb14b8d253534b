using Microsoft.Playwright;
using WebSocketEcho.Tests.Shared;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// One headless Chromium for the whole test run, driven by Playwright (its driver ships in the NuGet package and runs
/// offline). The browser is the system's Chromium found on PATH; nothing is downloaded. Each test takes a fresh
/// <see cref="IBrowserContext"/> (its own cookies, cache and pages) from <see cref="NewContextAsync"/>. Chromium runs
/// only while <see cref="MachineTestLock.HeavyTests"/> is held shared (never alongside the middleware's chaos tests).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>How long a Playwright action or expectation may take: generous, because CI shares 2 cores.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    // Headless, no GPU, and none of the background traffic (component updates, sync, QUIC probing, first-run UI)
    // that would try to reach the internet. (Playwright itself adds --disable-dev-shm-usage and more.)
    private static readonly string[] s_arguments =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _unavailableReason;
    private Exception? _launchError;
    private IDisposable? _machineLock;

    /// <summary>Gets the path of the Chromium in use, or null when none was found.</summary>
    public string? ChromiumPath { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _machineLock = await MachineTestLock.HeavyTests.AcquireSharedAsync("the browser tests (Chromium)");
        ChromiumPath = ChromiumLocator.FindOnPath();
        if (ChromiumPath is null)
        {
            _unavailableReason = ChromiumLocator.NotFoundMessage;
            return;
        }

        Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);
        try
        {
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = s_arguments,
                Timeout = 60_000,
            });
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            // A browser that is there but does not start is a failure, never a skip; report it from each browser test.
            _launchError = ex;
        }
    }

    /// <summary>
    /// Creates a fresh browser context for one test. Without a browser, ends the test: skipped with the reason,
    /// or failed when <c>WSE_REQUIRE_BROWSER=1</c>.
    /// </summary>
    /// <param name="ignoreHttpsErrors">Accept any server certificate (the tests' self-signed one) for https and wss.</param>
    public async Task<IBrowserContext> NewContextAsync(bool ignoreHttpsErrors = false)
    {
        if (_launchError is not null)
        {
            throw new InvalidOperationException($"Playwright could not launch {ChromiumPath}: {_launchError.Message}", _launchError);
        }

        if (_browser is null)
        {
            BrowserRequirement.Unavailable(_unavailableReason ?? "the browser was not started");
        }

        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = ignoreHttpsErrors });
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }

            _playwright?.Dispose();
        }
        finally
        {
            _machineLock?.Dispose();
        }
    }
}
