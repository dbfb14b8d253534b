using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using WebSocketEcho.Middleware.Redis.Tests.Infrastructure;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>
/// The sample scaled out: two sample processes with <c>Backplane__Redis</c> pointing at one real redis-server. A message
/// typed on a chat page of one appears on a chat page of the other; a POST to /chat/messages of either reaches both;
/// /health shows the backplane (Healthy, then Unhealthy when Redis is killed, with the chat still open).
/// </summary>
public sealed class ScaledOutChatTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_sample_instances_on_one_Redis_share_the_chat_pages_and_POSTs_and_report_the_backplane_on_health()
    {
        await using var redis = await RedisServer.StartAsync();
        var environment = new Dictionary<string, string> { ["Backplane__Redis"] = redis.Configuration };
        await using var one = await SampleServer.StartAsync(Ct, environment);
        await using var two = await SampleServer.StartAsync(Ct, environment);
        using var http = new HttpClient();
        await WaitForBackplaneAsync(http, one, HttpStatusCode.OK, "Healthy");
        await WaitForBackplaneAsync(http, two, HttpStatusCode.OK, "Healthy");
        await WaitUntilAPostCrossesOverAsync(http, one, two);

        await using var aliceContext = await browser.NewContextAsync();
        await using var bobContext = await browser.NewContextAsync();
        var alice = await EchoPage.OpenAsync(aliceContext, new Uri(one.BaseAddress, "chat.html"));
        var bob = await EchoPage.OpenAsync(bobContext, new Uri(two.BaseAddress, "chat.html"));
        await alice.WaitForStatusAsync("open");
        await bob.WaitForStatusAsync("open");

        var typed = "typed on instance one " + Guid.NewGuid().ToString("N")[..8];
        await alice.Message.FillAsync(typed);
        await alice.SendButton.ClickAsync();
        await alice.WaitForEntryAsync("received", typed);
        await bob.WaitForEntryAsync("received", typed);

        foreach (var (server, name) in new[] { (one, "one"), (two, "two") })
        {
            var posted = $"POSTed to instance {name} " + Guid.NewGuid().ToString("N")[..8];
            using var response = await http.PostAsync(new Uri(server.BaseAddress, "/chat/messages"), new StringContent(posted), Ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var answer = await response.Content.ReadFromJsonAsync<PostAnswer>(Ct);
            Assert.Equal("Published", answer?.Backplane);
            await alice.WaitForEntryAsync("received", posted);
            await bob.WaitForEntryAsync("received", posted);
        }

        // Redis gone: /health says so and why; the pages stay open and each instance still reaches its own page.
        redis.Kill();
        var health = await WaitForBackplaneAsync(http, one, HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Assert.Contains($"cannot reach Redis at {redis.Configuration}", health.GetProperty("description").GetString(), StringComparison.Ordinal);
        var local = "while Redis is down " + Guid.NewGuid().ToString("N")[..8];
        await bob.Message.FillAsync(local);
        await bob.SendButton.ClickAsync();
        await bob.WaitForEntryAsync("received", local);
        Assert.Empty(alice.ScriptErrors);
        Assert.Empty(bob.ScriptErrors);
    }

    /// <summary>Polls /health until the backplane's check has <paramref name="status"/>; returns that check's JSON.</summary>
    private static async Task<JsonElement> WaitForBackplaneAsync(HttpClient http, SampleServer server, HttpStatusCode code, string status)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(new Uri(server.BaseAddress, "/health"), Ct);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            var check = json.RootElement.GetProperty("checks").GetProperty("websocket-redis-backplane");
            if (response.StatusCode == code && check.GetProperty("status").GetString() == status)
            {
                return check.Clone();
            }

            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"/health of {server.BaseAddress} still says {(int)response.StatusCode} {check}; expected {status}.");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Each instance subscribes in the background as it starts: POST to one until a socket on the other hears it.</summary>
    private static async Task WaitUntilAPostCrossesOverAsync(HttpClient http, SampleServer one, SampleServer two)
    {
        using var listener = new ClientWebSocket();
        await listener.ConnectAsync(new UriBuilder(two.EchoUri) { Path = "/chat" }.Uri, Ct);
        var heard = listener.ReceiveTextAsync(Ct);
        for (var i = 0; !heard.IsCompleted; i++)
        {
            Assert.True(i < 300, "No POST to instance one reached instance two within 30 s.\n" + one.Output + "\n" + two.Output);
            using var _ = await http.PostAsync(new Uri(one.BaseAddress, "/chat/messages"), new StringContent("probe " + i), Ct);
            await Task.WhenAny(heard, Task.Delay(100, Ct));
        }

        Assert.StartsWith("probe ", await heard, StringComparison.Ordinal);
        await listener.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    private sealed record PostAnswer(int Reached, string Backplane);
}
