using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// The sample's test page in a browser tab, seen the way a user sees it: the controls by their ids and the page's own
/// event log. Waits are for exact texts (Playwright's text assertions normalize whitespace, which would hide a lost
/// space in "Received:  "); a wait that times out fails with the whole log.
/// </summary>
internal sealed class EchoPage
{
    private const string ReadLogScript =
        "() => [...document.querySelectorAll('#log li')].map(li => ({ kind: li.className, text: li.querySelector('.text').textContent }))";

    private const string HasEntryScript =
        "([kind, text]) => [...document.querySelectorAll('#log li')].some(li => li.className === kind && li.querySelector('.text').textContent === text)";

    private readonly ConcurrentQueue<string> _scriptErrors = new();
    private readonly ConcurrentQueue<string> _requests = new();

    private EchoPage(IPage page)
    {
        Page = page;
        page.PageError += (_, error) => _scriptErrors.Enqueue(error);
        page.Request += (_, request) => _requests.Enqueue(request.Url);
    }

    public IPage Page { get; }

    public ILocator Status => Page.Locator("#status");

    public ILocator Message => Page.Locator("#message");

    public ILocator SendButton => Page.Locator("#send");

    public ILocator ConnectButton => Page.Locator("#connect");

    public ILocator DisconnectButton => Page.Locator("#disconnect");

    /// <summary>Gets the uncaught script errors the page has had.</summary>
    public IReadOnlyCollection<string> ScriptErrors => _scriptErrors;

    /// <summary>Gets the URLs of every HTTP request the page made (the WebSocket is not an HTTP request here).</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>Opens the page in a new tab of <paramref name="context"/>.</summary>
    public static async Task<EchoPage> OpenAsync(IBrowserContext context, Uri address)
    {
        var page = new EchoPage(await context.NewPageAsync());
        var response = await page.Page.GotoAsync(address.ToString());
        Assert.True(response is { Ok: true }, $"GET {address} answered {response?.Status}.");
        return page;
    }

    /// <summary>Waits until <c>#status</c> reads <paramref name="state"/> (connecting, open, closing, closed).</summary>
    public Task WaitForStatusAsync(string state) => Expect(Status).ToHaveTextAsync(state);

    /// <summary>Waits until the log has an entry of <paramref name="kind"/> whose text is exactly <paramref name="text"/>.</summary>
    public async Task WaitForEntryAsync(string kind, string text)
    {
        try
        {
            await Page.WaitForFunctionAsync(
                HasEntryScript,
                new[] { kind, text },
                new PageWaitForFunctionOptions { PollingInterval = 50, Timeout = (float)BrowserFixture.Timeout.TotalMilliseconds });
        }
        catch (TimeoutException)
        {
            var log = await ReadLogAsync();
            Assert.Fail(
                $"The page's log has no \"{kind}\" entry with the text {JsonSerializer.Serialize(text)} after {BrowserFixture.Timeout.TotalSeconds} s. The log:{Environment.NewLine}"
                + string.Join(Environment.NewLine, log.Select(e => $"  {e.Kind}: {JsonSerializer.Serialize(e.Text)}")));
        }
    }

    /// <summary>Reads the page's whole event log.</summary>
    public async Task<IReadOnlyList<LogEntry>> ReadLogAsync()
    {
        var entries = await Page.EvaluateAsync<JsonElement>(ReadLogScript);
        return [.. entries.EnumerateArray().Select(e => new LogEntry(e.GetProperty("kind").GetString()!, e.GetProperty("text").GetString()!))];
    }

    /// <summary>Gets the counter shown on the page for a <c>/stats</c> property, for example <c>receivedMessages</c>.</summary>
    public ILocator Stat(string name) => Page.Locator($"#stats [data-stat=\"{name}\"]");
}
