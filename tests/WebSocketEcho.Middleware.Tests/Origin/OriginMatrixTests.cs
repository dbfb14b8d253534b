using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Origin;

/// <summary>
/// The origin check against cross-site WebSocket hijacking, on real Kestrel. Rows are
/// (endpoint, Host header, Origin header values separated by " | " or empty for none, expected status);
/// <c>{port}</c> stands for the server's port, <c>{other}</c> for another port.
/// </summary>
public sealed class OriginMatrixTests(OriginMatrixServer server) : IClassFixture<OriginMatrixServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, int> Matrix => new()
    {
        // Same-origin by default.
        { "/default", "127.0.0.1:{port}", "", 101 },
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1:{port}", 101 },
        { "/default", "127.0.0.1:{port}", "HTTP://127.0.0.1:{port}", 101 },
        { "/default", "127.0.0.1:{port}", "https://127.0.0.1:{port}", 403 },
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1:{other}", 403 },
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1", 403 },
        { "/default", "127.0.0.1:{port}", "http://localhost:{port}", 403 },
        { "/default", "127.0.0.1:{port}", "https://evil.example", 403 },
        // Default ports: an omitted port and the scheme's default port are the same origin.
        { "/default", "example.com", "http://example.com", 101 },
        { "/default", "example.com", "http://example.com:80", 101 },
        { "/default", "example.com:80", "http://example.com", 101 },
        { "/default", "example.com", "http://example.com:8080", 403 },
        { "/default", "example.com", "https://example.com", 403 },
        // Host names compare case-insensitively.
        { "/default", "Example.COM:{port}", "http://example.com:{port}", 101 },
        { "/default", "example.com:{port}", "http://EXAMPLE.com:{port}", 101 },
        { "/default", "example.com:{port}", "http://example.com.evil.example:{port}", 403 },
        // IPv6 hosts, in any spelling of the same address.
        { "/default", "[::1]:{port}", "http://[::1]:{port}", 101 },
        { "/default", "[::1]:{port}", "http://[0:0:0:0:0:0:0:1]:{port}", 101 },
        { "/default", "[::1]:{port}", "http://[::2]:{port}", 403 },
        // The opaque origin "null" (sandboxed frames, file: pages) only when listed.
        { "/default", "127.0.0.1:{port}", "null", 403 },
        { "/null", "127.0.0.1:{port}", "null", 101 },
        // Malformed origins are refused.
        { "/default", "127.0.0.1:{port}", "not a url", 403 },
        { "/default", "127.0.0.1:{port}", "127.0.0.1:{port}", 403 },
        { "/default", "127.0.0.1:{port}", "http://", 403 },
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1:{port}/", 403 },
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1:{port}/path", 403 },
        { "/default", "127.0.0.1:{port}", "http://user@127.0.0.1:{port}", 403 },
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1:{port}?q", 403 },
        { "/default", "127.0.0.1:{port}", "*", 403 },
        // Two Origin headers are refused even when both are the page's own.
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1:{port} | http://127.0.0.1:{port}", 403 },
        { "/default", "127.0.0.1:{port}", "http://127.0.0.1:{port} | https://evil.example", 403 },
        // AllowedOrigins: exact scheme, host and port; same-origin still works.
        { "/listed", "127.0.0.1:{port}", "https://app.example.com", 101 },
        { "/listed", "127.0.0.1:{port}", "https://app.example.com:443", 101 },
        { "/listed", "127.0.0.1:{port}", "https://APP.Example.com", 101 },
        { "/listed", "127.0.0.1:{port}", "http://app.example.com", 403 },
        { "/listed", "127.0.0.1:{port}", "https://app.example.com:8443", 403 },
        { "/listed", "127.0.0.1:{port}", "https://evil.app.example.com", 403 },
        { "/listed", "127.0.0.1:{port}", "https://app.example.com.evil.example", 403 },
        { "/listed", "127.0.0.1:{port}", "http://xn--bcher-kva.example:8080", 101 },
        { "/listed", "127.0.0.1:{port}", "http://xn--bcher-kva.example", 403 },
        { "/listed", "127.0.0.1:{port}", "http://127.0.0.1:{port}", 101 },
        { "/listed", "127.0.0.1:{port}", "null", 403 },
        // "*" turns the check off: anything goes.
        { "/any", "127.0.0.1:{port}", "https://evil.example", 101 },
        { "/any", "127.0.0.1:{port}", "null", 101 },
        { "/any", "127.0.0.1:{port}", "not a url", 101 },
        { "/any", "127.0.0.1:{port}", "https://evil.example | https://other.example", 101 },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Upgrade_with_Host_and_Origin_gets_the_expected_status(string path, string host, string origins, int expected)
    {
        host = Expand(host);
        var headers = origins.Length == 0
            ? []
            : origins.Split(" | ").Select(o => new KeyValuePair<string, string>("Origin", Expand(o))).ToList();
        var request = RawWebSocketClient.UpgradeRequest(host, path, headers);

        if (expected == 101)
        {
            await using var client = await RawWebSocketClient.ConnectRawAsync(server.Port, request, Ct);
            Assert.Equal(101, client.Handshake.StatusCode);
            await client.SendTextAsync("ping", Ct);
            Assert.Equal("ping", (await client.ReadFrameAsync(cancellationToken: Ct)).TextPayload);
            return;
        }

        var response = await RawWebSocketClient.SendHttpRequestAsync(server.Port, request, Ct);
        Assert.Equal(expected, response.StatusCode);
        Assert.Null(response.Header("Sec-WebSocket-Accept"));

        // The log line names the offending origin exactly as the browser sent it.
        var sent = string.Join(",", headers.Select(h => h.Value));
        Assert.Contains(server.App.Logs.GetSnapshot(), r =>
            r.Category == Log.Category && r.Id.Id == 3 && r.Level == LogLevel.Information
            && r.Message.Contains("403", StringComparison.Ordinal) && r.Message.Contains($"'{sent}'", StringComparison.Ordinal));
        Assert.Contains($"'{sent}'", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Same_origin_page_over_real_IPv6_is_accepted_and_a_foreign_one_refused_and_counted()
    {
        using var refusals = new MetricCollector<long>(
            server.App.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), WebSocketMetrics.MeterName, "websocket.server.rejected_upgrades");
        var host = $"[::1]:{server.Ipv6Port}";

        await using (var accepted = await RawWebSocketClient.ConnectRawAsync(
            IPAddress.IPv6Loopback, server.Ipv6Port, RawWebSocketClient.UpgradeRequest(host, "/default", [new("Origin", $"http://{host}")]), Ct))
        {
            Assert.Equal(101, accepted.Handshake.StatusCode);
        }

        using var client = new ClientWebSocket();
        client.Options.SetRequestHeader("Origin", $"http://[::1]:{server.Ipv6Port + 1}");
        client.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => client.ConnectAsync(new Uri($"ws://{host}/default"), Ct));
        Assert.Equal(HttpStatusCode.Forbidden, client.HttpStatusCode);

        var refusal = Assert.Single(refusals.GetMeasurementSnapshot());
        Assert.Equal("origin", refusal.Tags["websocket.rejection.reason"]);
    }

    private string Expand(string value) =>
        value.Replace("{port}", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{other}", (server.Port + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
