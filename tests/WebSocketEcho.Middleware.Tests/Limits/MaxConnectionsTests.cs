using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Limits;

public sealed class MaxConnectionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Upgrade_over_MaxConnections_gets_503_before_upgrading_is_logged_and_counted_and_a_closed_connection_frees_its_place()
    {
        var handler = new RecordingHandler();
        WebSocketEndpoint? endpoint = null;
        await using var app = await TestApp.StartKestrelAsync(a => endpoint = a.UseProbedWebSocketHandler("/ws", handler, o => o.MaxConnections = 2));
        using var rejected = new MetricCollector<long>(app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), WebSocketMetrics.MeterName, "websocket.server.rejected_upgrades");

        using var first = new ClientWebSocket();
        using var second = new ClientWebSocket();
        await first.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await second.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await handler.NextConnectedAsync();
        await handler.NextConnectedAsync();

        var refused = await RawWebSocketClient.SendHttpRequestAsync(app.Port, RawWebSocketClient.UpgradeRequest($"127.0.0.1:{app.Port}", "/ws"), Ct);

        Assert.Equal(503, refused.StatusCode);
        Assert.Null(refused.Header("Sec-WebSocket-Accept"));
        Assert.Null(refused.Header("Upgrade"));
        Assert.Contains("MaxConnections (2)", refused.Body, StringComparison.Ordinal);
        Assert.Equal(2, handler.ConnectedCount);
        var log = Assert.Single(app.Logs.GetSnapshot(), r => r.Category == Log.Category && r.Id.Id == 3);
        Assert.Equal(LogLevel.Information, log.Level);
        Assert.Contains("503", log.Message, StringComparison.Ordinal);
        Assert.Contains("MaxConnections", log.Message, StringComparison.Ordinal);
        var measurement = Assert.Single(rejected.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("max_connections", measurement.Tags["websocket.rejection.reason"]);
        Assert.Equal("/ws", measurement.Tags["websocket.endpoint"]);

        // A connection that ends gives its place back.
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await handler.NextDisconnectedAsync();
        Assert.True(await endpoint!.Registry.WaitForCountAsync(1, TimeSpan.FromSeconds(10)));
        using var third = new ClientWebSocket();
        await third.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await handler.NextConnectedAsync();
        Assert.Equal(2, endpoint.Registry.Count);
        Assert.Single(rejected.GetMeasurementSnapshot());

        // And a vanished peer frees its place too.
        second.Abort();
        await handler.NextDisconnectedAsync();
        Assert.True(await endpoint.Registry.WaitForCountAsync(1, TimeSpan.FromSeconds(10)));
        await using var fourth = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        Assert.Equal(101, fourth.Handshake.StatusCode);
    }

    [Fact]
    public async Task Refused_upgrades_do_not_use_up_places()
    {
        var handler = new RecordingHandler();
        WebSocketEndpoint? endpoint = null;
        await using var app = await TestApp.StartKestrelAsync(a => endpoint = a.UseProbedWebSocketHandler("/ws", handler, o => o.MaxConnections = 1));

        for (var i = 0; i < 5; i++)
        {
            var forbidden = await RawWebSocketClient.SendHttpRequestAsync(
                app.Port, RawWebSocketClient.UpgradeRequest($"127.0.0.1:{app.Port}", "/ws", [new("Origin", "https://evil.example")]), Ct);
            Assert.Equal(403, forbidden.StatusCode);
        }

        await using var accepted = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        Assert.Equal(101, accepted.Handshake.StatusCode);
        await handler.NextConnectedAsync();
        Assert.Equal(1, endpoint!.Registry.Count);
    }
}
