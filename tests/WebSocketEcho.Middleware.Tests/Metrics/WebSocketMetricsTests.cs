using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Metrics;

/// <summary>
/// Every instrument on the meter <c>WebSocketEcho.Middleware</c>: its values and tags. Collectors listen through the
/// app's own <see cref="IMeterFactory"/>, so tests running at the same time in other apps are not seen.
/// </summary>
public sealed class WebSocketMetricsTests
{
    private const string Meter = "WebSocketEcho.Middleware";
    private const string ActiveConnections = "websocket.server.active_connections";
    private const string ConnectionDuration = "websocket.server.connection.duration";
    private const string ReceivedMessages = "websocket.server.received.messages";
    private const string ReceivedBytes = "websocket.server.received.bytes";
    private const string SentMessages = "websocket.server.sent.messages";
    private const string SentBytes = "websocket.server.sent.bytes";
    private const string RejectedUpgrades = "websocket.server.rejected_upgrades";
    private const string HandlerErrors = "websocket.server.handler_errors";
    private const string PushMessages = "websocket.server.push.messages";
    private const string PushDeliveries = "websocket.server.push.deliveries";
    private const string PushGroups = "websocket.server.push.groups";

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_instrument_is_published_once_with_its_documented_type_unit_and_a_description()
    {
        await using var app = await TestApp.StartKestrelAsync(a =>
        {
            a.UseWebSocketHandler("/a", new EchoMessageHandler());
            a.MapWebSocketHandler("/b", new EchoMessageHandler());
        });
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var published = new List<Instrument>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == Meter && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    published.Add(instrument);
                }
            };
            listener.Start();
        }

        (string Name, Type Type, string Unit)[] expected =
        [
            (ActiveConnections, typeof(UpDownCounter<long>), "{connection}"),
            (ConnectionDuration, typeof(Histogram<double>), "s"),
            (ReceivedMessages, typeof(Counter<long>), "{message}"),
            (ReceivedBytes, typeof(Counter<long>), "By"),
            (SentMessages, typeof(Counter<long>), "{message}"),
            (SentBytes, typeof(Counter<long>), "By"),
            (RejectedUpgrades, typeof(Counter<long>), "{request}"),
            (HandlerErrors, typeof(Counter<long>), "{error}"),
            (PushMessages, typeof(Counter<long>), "{message}"),
            (PushDeliveries, typeof(Counter<long>), "{delivery}"),
            (PushGroups, typeof(UpDownCounter<long>), "{group}"),
        ];
        Assert.Equal(expected.Select(e => e.Name).Order(), published.Select(i => i.Name).Order());
        foreach (var (name, type, unit) in expected)
        {
            var instrument = Assert.Single(published, i => i.Name == name);
            Assert.IsType(type, instrument);
            Assert.Equal(unit, instrument.Unit);
            Assert.False(string.IsNullOrWhiteSpace(instrument.Description), name + " has no description");
        }
    }

    [Fact]
    public async Task Active_connections_goes_up_by_one_per_open_connection_and_back_to_zero_tagged_with_the_endpoint()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.MapWebSocketHandler("/rooms/{room}", handler));
        using var active = Collect<long>(app, ActiveConnections);

        using var first = new ClientWebSocket();
        using var second = new ClientWebSocket();
        await first.ConnectAsync(app.WebSocketUri("/rooms/a"), Ct);
        await second.ConnectAsync(app.WebSocketUri("/rooms/b"), Ct);
        await active.WaitForMeasurementsAsync(2, s_wait);
        Assert.Equal(2, Sum(active));

        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await active.WaitForMeasurementsAsync(4, s_wait);

        var measurements = active.GetMeasurementSnapshot();
        Assert.Equal([1, 1, -1, -1], measurements.Select(m => m.Value));
        Assert.All(measurements, m => Assert.Equal("/rooms/{room}", m.Tags["websocket.endpoint"]));
        Assert.Equal(0, Sum(active));
    }

    [Fact]
    public async Task Active_connections_does_not_go_negative_when_a_listener_starts_while_a_connection_is_open()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler));
        using var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await handler.NextConnectedAsync();

        // dotnet-counters or an exporter attaching now never saw this connection open.
        using var active = Collect<long>(app, ActiveConnections);
        using var duration = Collect<double>(app, ConnectionDuration);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await duration.WaitForMeasurementsAsync(1, s_wait);

        Assert.Empty(active.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Connection_duration_is_recorded_in_seconds_with_disconnect_reason_and_close_status_when_there_is_one()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => (o.ReceiveBufferSize, o.MaxMessageSize) = (16, 16)));
        using var duration = Collect<double>(app, ConnectionDuration);

        // 1. The client closes normally.
        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
            await duration.WaitForMeasurementsAsync(1, s_wait);
        }

        // 2. A message over MaxMessageSize: the server closes with 1009.
        await using (var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct))
        {
            await raw.SendFrameAsync(Frame.Binary, new byte[17], cancellationToken: Ct);
            Assert.Equal(1009, (await raw.ReadUntilCloseAsync(cancellationToken: Ct))?.CloseStatus);
            await raw.SendCloseAsync(1009, cancellationToken: Ct);
            await duration.WaitForMeasurementsAsync(2, s_wait);
        }

        // 3. The client vanishes without a close frame.
        await using (var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct))
        {
            await handler.NextConnectedAsync();
            raw.Reset();
            await duration.WaitForMeasurementsAsync(3, s_wait);
        }

        var measurements = duration.GetMeasurementSnapshot();
        Assert.Equal("s", duration.Instrument!.Unit);
        Assert.All(measurements, m => Assert.InRange(m.Value, 0, s_wait.TotalSeconds * 3));
        Assert.All(measurements, m => Assert.Equal("/ws", m.Tags["websocket.endpoint"]));

        Assert.Equal("ClosedByPeer", measurements[0].Tags["websocket.disconnect.reason"]);
        Assert.Equal(1000, measurements[0].Tags["websocket.close.status"]);
        Assert.Equal("MessageTooBig", measurements[1].Tags["websocket.disconnect.reason"]);
        Assert.Equal(1009, measurements[1].Tags["websocket.close.status"]);
        Assert.Equal("ConnectionLost", measurements[2].Tags["websocket.disconnect.reason"]);
        Assert.False(measurements[2].Tags.ContainsKey("websocket.close.status"), "a connection that ended without a close frame has no status tag");
    }

    [Fact]
    public async Task Received_and_sent_messages_and_bytes_are_counted_and_tagged_text_or_binary()
    {
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/echo", new EchoMessageHandler("Received:  ")));
        using var receivedMessages = Collect<long>(app, ReceivedMessages);
        using var receivedBytes = Collect<long>(app, ReceivedBytes);
        using var sentMessages = Collect<long>(app, SentMessages);
        using var sentBytes = Collect<long>(app, SentBytes);

        using var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri("/echo"), Ct);
        Assert.Equal("Received:  hello", await client.EchoAsync("hello", Ct));
        await client.EchoAsync("hi", Ct);
        await client.SendBinaryAsync([1, 2, 3], Ct);
        Assert.Equal(3, (await client.ReceiveMessageAsync(Ct)).Payload.Length);
        await sentMessages.WaitForMeasurementsAsync(3, s_wait);
        await sentBytes.WaitForMeasurementsAsync(3, s_wait);

        Assert.Equal(2, SumTagged(receivedMessages, "text"));
        Assert.Equal(1, SumTagged(receivedMessages, "binary"));
        Assert.Equal(5 + 2, SumTagged(receivedBytes, "text"));
        Assert.Equal(3, SumTagged(receivedBytes, "binary"));
        Assert.Equal(2, SumTagged(sentMessages, "text"));
        Assert.Equal(1, SumTagged(sentMessages, "binary"));
        Assert.Equal(16 + 13, SumTagged(sentBytes, "text"));
        Assert.Equal(3, SumTagged(sentBytes, "binary"));
        Assert.All(receivedBytes.GetMeasurementSnapshot(), m => Assert.Equal("/echo", m.Tags["websocket.endpoint"]));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Fact]
    public async Task Rejected_upgrades_are_counted_with_their_reason_and_nothing_is_counted_for_accepted_ones()
    {
        await using var app = await TestApp.StartKestrelAsync(a =>
        {
            a.UseWebSocketHandler("/ws", new EchoMessageHandler(), o => o.MaxConnections = 1);
            a.MapWebSocketHandler("/mapped", new EchoMessageHandler());
        });
        using var rejected = Collect<long>(app, RejectedUpgrades);

        await using var holder = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        Assert.Equal(101, holder.Handshake.StatusCode);

        await ExpectStatusAsync(503, RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct));
        await ExpectStatusAsync(403, RawWebSocketClient.ConnectAsync(app.Port, "/mapped", [new("Origin", "https://evil.example")], cancellationToken: Ct));
        await ExpectStatusAsync(426, RawWebSocketClient.ConnectRawAsync(app.Port, Head("/mapped", "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), Ct));
        await ExpectStatusAsync(400, RawWebSocketClient.ConnectRawAsync(app.Port, Head("/mapped", "Sec-WebSocket-Version: 13\r\n"), Ct));
        using (var http = new HttpClient { BaseAddress = app.BaseAddress })
        using (var plain = await http.GetAsync(new Uri("/mapped", UriKind.Relative), Ct))
        {
            Assert.Equal(400, (int)plain.StatusCode);
        }

        await rejected.WaitForMeasurementsAsync(5, s_wait);
        var measurements = rejected.GetMeasurementSnapshot();
        Assert.All(measurements, m => Assert.Equal(1, m.Value));
        Assert.Equal(
            [("/ws", "max_connections"), ("/mapped", "origin"), ("/mapped", "unsupported_version"), ("/mapped", "invalid_handshake"), ("/mapped", "not_websocket")],
            measurements.Select(m => ((string)m.Tags["websocket.endpoint"]!, (string)m.Tags["websocket.rejection.reason"]!)));
    }

    [Fact]
    public async Task Handler_errors_are_counted_with_the_callback_and_the_exception_type()
    {
        var handler = new RecordingHandler
        {
            OnConnected = c => c.HttpContext.Request.Query.ContainsKey("fail") ? throw new ArgumentException("bad connect") : ValueTask.CompletedTask,
            OnMessage = (_, _) => throw new InvalidOperationException("bad message"),
        };
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler));
        using var errors = Collect<long>(app, HandlerErrors);

        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(app.WebSocketUri("/ws?fail"), Ct);
            Assert.Equal(WebSocketCloseStatus.InternalServerError, (await client.ReceiveMessageAsync(Ct)).CloseStatus);
        }

        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);
            await client.SendTextAsync("boom", Ct);
            Assert.Equal(WebSocketCloseStatus.InternalServerError, (await client.ReceiveMessageAsync(Ct)).CloseStatus);
        }

        await errors.WaitForMeasurementsAsync(2, s_wait);
        var measurements = errors.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        Assert.Equal(
            [("OnConnectedAsync", "System.ArgumentException"), ("OnMessageAsync", "System.InvalidOperationException")],
            measurements.Select(m => ((string)m.Tags["websocket.handler.callback"]!, (string)m.Tags["error.type"]!)));
        Assert.All(measurements, m => Assert.Equal("/ws", m.Tags["websocket.endpoint"]));
        Assert.All(measurements, m => Assert.Equal(1, m.Value));
    }

    [Fact]
    public async Task Two_apps_have_isolated_instruments_one_apps_connection_is_not_seen_by_the_others_listener()
    {
        await using var measured = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", new EchoMessageHandler()));
        await using var other = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", new EchoMessageHandler()));
        using var measuredActive = Collect<long>(measured, ActiveConnections);
        using var otherActive = Collect<long>(other, ActiveConnections);

        using var client = new ClientWebSocket();
        await client.ConnectAsync(measured.WebSocketUri("/ws"), Ct);
        await measuredActive.WaitForMeasurementsAsync(1, s_wait);

        Assert.Empty(otherActive.GetMeasurementSnapshot());
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    private static MetricCollector<T> Collect<T>(TestApp app, string instrument)
        where T : struct =>
        new(app.Services.GetRequiredService<IMeterFactory>(), Meter, instrument);

    private static long Sum(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(m => m.Value);

    private static long SumTagged(MetricCollector<long> collector, string messageType) =>
        collector.GetMeasurementSnapshot().Where(m => (string?)m.Tags["websocket.message.type"] == messageType).Sum(m => m.Value);

    private static string Head(string path, string headers) =>
        $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{headers}\r\n";

    private static async Task ExpectStatusAsync(int status, Task<RawWebSocketClient> connect)
    {
        await using var client = await connect;
        Assert.Equal(status, client.Handshake.StatusCode);
    }
}
