using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>
/// <c>GET /stats</c> and the counters on the page, against a sample process of the test's own so that the counts are exact.
/// </summary>
public sealed class StatsTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stats_and_the_page_count_the_connection_messages_bytes_and_a_rejected_upgrade()
    {
        const string first = "Hello, world!"; // 13 UTF-8 bytes
        const string second = "héllo 👋";      // 11 UTF-8 bytes: é is 2, 👋 is 4
        var prefixBytes = Encoding.UTF8.GetByteCount("Received:  ");
        await using var context = await browser.NewContextAsync();
        await using var server = await SampleServer.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var initial = await GetStatsAsync(http);
        Assert.Equal(
            ["activeConnections", "totalConnections", "receivedMessages", "receivedBytes", "sentMessages", "sentBytes", "rejectedUpgrades", "handlerErrors"],
            initial.EnumerateObject().Select(p => p.Name));
        Assert.All(initial.EnumerateObject(), p => Assert.Equal(0, p.Value.GetInt64()));

        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");
        await page.SendButton.ClickAsync();
        await page.WaitForEntryAsync("received", "Received:  " + first);
        await page.Message.FillAsync(second);
        await page.Message.PressAsync("Enter");
        await page.WaitForEntryAsync("received", "Received:  " + second);

        // A cross-site page may not open the socket: 403 before the upgrade, counted as a rejected upgrade.
        using (var foreign = new ClientWebSocket())
        {
            foreign.Options.SetRequestHeader("Origin", "http://evil.example");
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(server.EchoUri, Ct));
            Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        }

        var expected = new Dictionary<string, long>
        {
            ["activeConnections"] = 1,
            ["totalConnections"] = 1,
            ["receivedMessages"] = 2,
            ["receivedBytes"] = 13 + 11,
            ["sentMessages"] = 2,
            ["sentBytes"] = (13 + prefixBytes) + (11 + prefixBytes),
            ["rejectedUpgrades"] = 1,
            ["handlerErrors"] = 0,
        };
        // The reply reaches the page just before the server counts it as sent: wait for the counters to settle.
        await WaitForStatsAsync(http, expected);
        foreach (var (name, value) in expected)
        {
            await Expect(page.Stat(name)).ToHaveTextAsync(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await page.DisconnectButton.ClickAsync();
        await page.WaitForEntryAsync("close", "code 1000");
        expected["activeConnections"] = 0;
        await WaitForStatsAsync(http, expected);
        await Expect(page.Stat("activeConnections")).ToHaveTextAsync("0");
    }

    private static async Task<JsonElement> GetStatsAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/stats", UriKind.Relative), Ct);
        response.EnsureSuccessStatusCode();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.Clone();
    }

    private static async Task WaitForStatsAsync(HttpClient http, IReadOnlyDictionary<string, long> expected)
    {
        var deadline = DateTime.UtcNow + BrowserFixture.Timeout;
        while (true)
        {
            var stats = await GetStatsAsync(http);
            var actual = expected.Keys.ToDictionary(name => name, name => stats.GetProperty(name).GetInt64());
            if (expected.All(e => actual[e.Key] == e.Value))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Equivalent(expected, actual, strict: true);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        }
    }
}
