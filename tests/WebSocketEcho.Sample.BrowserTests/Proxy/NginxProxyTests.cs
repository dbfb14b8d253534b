using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using WebSocketEcho.Middleware.Tests.Tls;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests.Proxy;

/// <summary>
/// The sample behind a real nginx that terminates TLS (docs/deploying.md, "Deploying behind a proxy"): browser and
/// clients speak https/wss to nginx, nginx speaks plain http to the sample process. Each test starts its own nginx
/// (<see cref="NginxSite"/> is its configuration) in front of the shared sample, or of a sample of its own when the
/// test needs other settings.
/// </summary>
public sealed class NginxProxyTests(BrowserFixture browser, SharedSampleServer sharedServer)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Through_nginx_the_page_over_https_opens_wss_to_nginx_and_receives_Received_Hello_world()
    {
        using var certificate = TestCertificate.Create();
        var sample = await sharedServer.GetAsync();
        await using var nginx = await NginxServer.StartAsync(new NginxSite(sample.BaseAddress), certificate, Ct);
        await using var context = await browser.NewContextAsync(ignoreHttpsErrors: true);

        var page = await EchoPage.OpenAsync(context, nginx.BaseAddress);

        await page.WaitForStatusAsync("open");
        var wss = nginx.WebSocketUri("/echo").ToString();
        Assert.Equal(wss, await page.Page.Locator("#url").TextContentAsync());
        await page.WaitForEntryAsync("open", "connected to " + wss);
        await page.SendButton.ClickAsync();
        await page.WaitForEntryAsync("received", "Received:  Hello, world!");
        await page.DisconnectButton.ClickAsync();
        await page.WaitForEntryAsync("close", "code 1000");

        // nginx logs an upgraded request when its connection ends: the socket went through nginx, upgraded.
        await WaitForAsync(() => nginx.AccessLog.Contains("\"GET /echo HTTP/1.1\" 101 ", StringComparison.Ordinal), () => "access.log:" + Environment.NewLine + nginx.AccessLog);
    }

    /// <summary>
    /// Rows: (nginx sends X-Forwarded-Proto, the nginx variable sent as Host, Origin, expected status). As documented
    /// (the header, <c>$http_host</c>) the sample sees the page's scheme, host and port, and the same-origin check works as
    /// it does without a proxy. The control rows: without the header the sample sees http, so the real page is refused and
    /// a page claiming http on nginx's https port is accepted; with <c>$host</c> the port is lost and the real page refused.
    /// </summary>
    [Theory]
    [InlineData(true, "$http_host", "https://127.0.0.1:{port}", 101)]
    [InlineData(true, "$http_host", "https://evil.example", 403)]
    [InlineData(true, "$http_host", "http://127.0.0.1:{port}", 403)]
    [InlineData(true, "$http_host", "https://127.0.0.1", 403)]
    [InlineData(false, "$http_host", "https://127.0.0.1:{port}", 403)]
    [InlineData(false, "$http_host", "http://127.0.0.1:{port}", 101)]
    [InlineData(true, "$host", "https://127.0.0.1:{port}", 403)]
    public async Task Through_nginx_the_origin_check_sees_the_page_origin_only_with_X_Forwarded_Proto_and_the_browser_Host(bool forwardProto, string hostVariable, string origin, int expected)
    {
        using var certificate = TestCertificate.Create();
        var sample = await sharedServer.GetAsync();
        await using var nginx = await NginxServer.StartAsync(new NginxSite(sample.BaseAddress) { ForwardProto = forwardProto, HostVariable = hostVariable }, certificate, Ct);
        using var client = NewClient(certificate);
        client.Options.SetRequestHeader("Origin", origin.Replace("{port}", nginx.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        client.Options.CollectHttpResponseDetails = true;

        if (expected == 101)
        {
            await client.ConnectAsync(nginx.WebSocketUri("/echo"), Ct);
            Assert.Equal("Received:  same origin", await EchoAsync(client, "same origin"));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
            return;
        }

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(nginx.WebSocketUri("/echo"), Ct));
        Assert.Equal((HttpStatusCode)expected, client.HttpStatusCode);
    }

    [Fact]
    public async Task Through_nginx_a_4_MiB_binary_message_crosses_unchanged_both_ways()
    {
        using var certificate = TestCertificate.Create();
        var sample = await sharedServer.GetAsync();
        await using var nginx = await NginxServer.StartAsync(new NginxSite(sample.BaseAddress), certificate, Ct);
        using var client = NewClient(certificate);
        await client.ConnectAsync(nginx.WebSocketUri("/echo/plain"), Ct);

        var big = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await client.SendAsync(big, WebSocketMessageType.Binary, endOfMessage: true, Ct);
        var (type, echoed) = await client.ReceiveMessageAsync(Ct);

        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.True(big.AsSpan().SequenceEqual(echoed), $"The 4 MiB message came back changed ({echoed.Length} bytes).");
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Fact]
    public async Task A_quiet_connection_outlives_nginx_proxy_read_timeout_3s_because_the_server_pings_every_second()
    {
        var readTimeout = TimeSpan.FromSeconds(3);
        var (lifetime, outcome, nginxLog) = await HoldQuietConnectionAsync(keepAliveInterval: "00:00:01", readTimeout);

        Assert.True(outcome is null, $"The connection ended after {lifetime.TotalSeconds:0.0} s: {outcome}. nginx error.log:{Environment.NewLine}{nginxLog}");
        Assert.True(lifetime >= 3 * readTimeout, $"Quiet for only {lifetime}.");
        Assert.DoesNotContain("upstream timed out", nginxLog, StringComparison.Ordinal);
    }

    /// <summary>The control: no pings (keep-alive off), or pings rarer than <c>proxy_read_timeout</c> (every 5 s).</summary>
    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:05")]
    public async Task Control_without_pings_within_proxy_read_timeout_3s_nginx_cuts_a_quiet_connection_at_3s(string keepAliveInterval)
    {
        var readTimeout = TimeSpan.FromSeconds(3);
        var (lifetime, outcome, nginxLog) = await HoldQuietConnectionAsync(keepAliveInterval, readTimeout);

        Assert.True(outcome is not null, $"The connection survived {lifetime.TotalSeconds:0.0} s of silence with keep-alive {keepAliveInterval}; the test could not fail.");
        // The lifetime counts from before the upgrade request, so before nginx starts its timer; the 100 ms allow only
        // for nginx's cached clock, which can make its timer fire a few milliseconds early.
        Assert.True(lifetime > readTimeout - TimeSpan.FromMilliseconds(100), $"Cut after {lifetime}, before proxy_read_timeout ({readTimeout}): {outcome}");
        Assert.Contains("upstream timed out (110: Connection timed out) while proxying upgraded connection", nginxLog, StringComparison.Ordinal);
    }

    /// <summary>
    /// Through nginx with <c>proxy_read_timeout</c> = <paramref name="readTimeout"/>, in front of a sample of its own with
    /// <paramref name="keepAliveInterval"/>: opens /echo, stays silent (no client pings, a receive pending so the
    /// server's pings are answered) for three read timeouts, then sends a message.
    /// </summary>
    /// <returns>
    /// How long the connection lived, from its upgrade request to the echo or to its end; what ended it (null: the echo
    /// came back); nginx's error log.
    /// </returns>
    private static async Task<(TimeSpan Lifetime, string? Outcome, string NginxLog)> HoldQuietConnectionAsync(string keepAliveInterval, TimeSpan readTimeout)
    {
        using var certificate = TestCertificate.Create();
        await using var sample = await SampleServer.StartAsync(Ct, new Dictionary<string, string> { ["Echo__WebSocket__KeepAliveInterval"] = keepAliveInterval });
        await using var nginx = await NginxServer.StartAsync(new NginxSite(sample.BaseAddress) { ReadTimeout = readTimeout }, certificate, Ct);
        var connection = await ConnectQuietClientAsync(sample, nginx, certificate);
        using var client = connection.Client;
        var opened = connection.SinceUpgradeRequest;
        var buffer = new byte[1024];
        var receive = client.ReceiveAsync(buffer, Ct);

        var quiet = 3 * readTimeout;
        if (await Task.WhenAny(receive, Task.Delay(quiet, Ct)) == receive)
        {
            var lifetime = opened.Elapsed;
            var outcome = await DescribeEndAsync(receive);
            TestContext.Current.TestOutputHelper?.WriteLine($"keep-alive {keepAliveInterval}, proxy_read_timeout {readTimeout.TotalSeconds} s: cut after {lifetime.TotalSeconds:0.000} s ({outcome})");
            return (lifetime, outcome, nginx.ErrorLog);
        }

        await client.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, Ct);
        var reply = await receive.WaitAsync(TimeSpan.FromSeconds(15), Ct);
        var alive = opened.Elapsed;
        Assert.Equal("Received:  still here", Encoding.UTF8.GetString(buffer, 0, reply.Count));
        TestContext.Current.TestOutputHelper?.WriteLine($"keep-alive {keepAliveInterval}, proxy_read_timeout {readTimeout.TotalSeconds} s: quiet {quiet.TotalSeconds} s, echo after {alive.TotalSeconds:0.000} s");
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        return (alive, null, nginx.ErrorLog);
    }

    /// <summary>
    /// Opens /echo through nginx for the quiet-connection tests. <c>proxy_read_timeout</c> also bounds nginx's wait for the
    /// sample's 101 (too slow: 504), and a sample that has just started, on a busy machine, can take that long for its
    /// first upgrade. The handshake is not what these tests measure: warm the sample up directly, and try the upgrade
    /// through nginx up to three times.
    /// </summary>
    /// <returns>The open client, and a stopwatch started just before its upgrade request (so before nginx's timer starts).</returns>
    private static async Task<(ClientWebSocket Client, Stopwatch SinceUpgradeRequest)> ConnectQuietClientAsync(SampleServer sample, NginxServer nginx, TestCertificate certificate)
    {
        using (var warmUp = new ClientWebSocket())
        {
            await warmUp.ConnectAsync(sample.EchoUri, Ct);
            Assert.Equal("Received:  warm", await EchoAsync(warmUp, "warm"));
            await warmUp.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        }

        for (var attempt = 1; ; attempt++)
        {
            var client = NewClient(certificate);
            client.Options.CollectHttpResponseDetails = true;
            try
            {
                var sinceUpgradeRequest = Stopwatch.StartNew();
                await client.ConnectAsync(nginx.WebSocketUri("/echo"), Ct);
                return (client, sinceUpgradeRequest);
            }
            catch (WebSocketException) when (client.HttpStatusCode == HttpStatusCode.GatewayTimeout && attempt < 3)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"upgrade attempt {attempt} through nginx: 504 (the sample answered after proxy_read_timeout)");
                client.Dispose();
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
    }

    private static async Task<string> DescribeEndAsync(Task<WebSocketReceiveResult> receive)
    {
        try
        {
            var result = await receive;
            return $"{result.MessageType} {result.CloseStatus} {result.CloseStatusDescription}";
        }
        catch (WebSocketException ex)
        {
            return $"{nameof(WebSocketException)} {ex.WebSocketErrorCode}: {ex.Message}";
        }
    }

    /// <summary>A client that trusts the test's certificate only and sends no keep-alive of its own.</summary>
    private static ClientWebSocket NewClient(TestCertificate certificate)
    {
        var client = new ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = certificate.Validate;
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        return client;
    }

    private static async Task<string> EchoAsync(ClientWebSocket client, string text)
    {
        await client.SendTextAsync(text, Ct);
        return await client.ReceiveTextAsync(Ct);
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> describe)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > BrowserFixture.Timeout)
            {
                Assert.Fail($"Not seen within {BrowserFixture.Timeout.TotalSeconds} s. {describe()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }
    }
}
