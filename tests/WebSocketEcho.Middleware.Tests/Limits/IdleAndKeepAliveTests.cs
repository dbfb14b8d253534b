using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Limits;

public sealed class IdleAndKeepAliveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Silent_peer_is_closed_with_1001_after_IdleTimeout_while_a_chatty_peer_stays_open()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => o.IdleTimeout = TimeSpan.FromSeconds(2)));
        await using var silent = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        var silentConnection = await handler.NextConnectedAsync();
        using var chatty = new ClientWebSocket();
        await chatty.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        var chattyConnection = await handler.NextConnectedAsync();

        using var stopChatting = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var chatter = ChatAsync(chatty, stopChatting.Token);

        var close = await silent.ReadUntilCloseAsync(TimeSpan.FromSeconds(15), Ct);
        Assert.Equal(1001, close?.CloseStatus);
        Assert.Equal("Idle timeout", close?.CloseReason);
        await silent.SendCloseAsync(1001, cancellationToken: Ct);
        Assert.True(await silent.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));
        var (gone, info) = await handler.NextDisconnectedAsync();
        Assert.Same(silentConnection, gone);
        Assert.Equal(DisconnectReason.IdleTimeout, info.Reason);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, info.CloseStatus);

        // The chatty peer keeps talking for longer than another IdleTimeout and is still open.
        var idle = TimeSpan.FromSeconds(2.5);
        await Task.Delay(idle, Ct);
        await stopChatting.CancelAsync();
        var echoes = await chatter;
        Assert.True(echoes > 10, $"only {echoes} echoes");
        Assert.Equal(WebSocketState.Open, chatty.State);
        Assert.Equal(WebSocketState.Open, chattyConnection.State);
        Assert.Equal(1, handler.DisconnectedCount);
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Category == Log.Category && r.Id.Id == 9);
    }

    [Fact]
    public async Task Peer_that_never_answers_pings_is_dropped_as_KeepAliveTimeout_and_counted_while_a_responsive_peer_stays()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
            o.KeepAliveTimeout = TimeSpan.FromSeconds(1);
        }));
        using var durations = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), WebSocketMetrics.MeterName, "websocket.server.connection.duration");

        // ClientWebSocket answers pings while a receive is pending; the raw client never answers.
        using var responsive = new ClientWebSocket();
        await responsive.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        var pendingReceive = responsive.ReceiveAsync(new byte[64], Ct);
        await handler.NextConnectedAsync();
        await using var dead = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        var deadConnection = await handler.NextConnectedAsync();

        var ping = await dead.ReadFrameAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(Frame.Ping, ping.Opcode);
        Assert.True(await dead.WaitForServerCloseAsync(TimeSpan.FromSeconds(15), Ct));

        var (gone, info) = await handler.NextDisconnectedAsync(TimeSpan.FromSeconds(15));
        Assert.Same(deadConnection, gone);
        Assert.True(info.Reason == DisconnectReason.KeepAliveTimeout, $"ended as {info.Reason}: {info.Error}");
        Assert.IsType<WebSocketException>(info.Error);
        Assert.Null(info.CloseStatus);

        // Dead peers are visible to operators: a log line (event 8) and the duration metric tagged with the reason.
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Category == Log.Category && r.Id.Id == 8);
        await durations.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        var measurement = Assert.Single(durations.GetMeasurementSnapshot());
        Assert.Equal(nameof(DisconnectReason.KeepAliveTimeout), measurement.Tags["websocket.disconnect.reason"]);

        // The responsive peer has answered several pings by now and is still open.
        Assert.False(pendingReceive.IsCompleted);
        Assert.Equal(WebSocketState.Open, responsive.State);
        Assert.Equal(1, handler.DisconnectedCount);
        await responsive.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        var closing = await pendingReceive;
        Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
    }

    private static async Task<int> ChatAsync(ClientWebSocket client, CancellationToken stop)
    {
        var buffer = new byte[64];
        var echoes = 0;
        while (!stop.IsCancellationRequested)
        {
            var text = $"tick {echoes}";
            await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
            var result = await client.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, result.Count));
            echoes++;
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return echoes;
    }
}
