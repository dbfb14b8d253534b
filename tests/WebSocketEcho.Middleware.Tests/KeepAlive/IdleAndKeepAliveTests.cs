using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.KeepAlive;

public sealed class IdleAndKeepAliveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Silent_peer_is_closed_with_1001_after_IdleTimeout_while_a_chatty_peer_stays_open()
    {
        // The chatty peer talks every 100 ms, so it may stall for almost 3 s (a loaded machine) before it looks idle.
        var idleTimeout = TimeSpan.FromSeconds(3);
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => o.IdleTimeout = idleTimeout));
        await using var silent = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        var silentConnection = await handler.NextConnectedAsync();
        using var chatty = new ClientWebSocket();
        await chatty.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        var chattyConnection = await handler.NextConnectedAsync();

        using var stopChatting = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var echoTimes = new EchoClock();
        var chatter = ChatAsync(chatty, echoTimes, stopChatting.Token);

        var close = await silent.ReadUntilCloseAsync(TimeSpan.FromSeconds(15), Ct);
        Assert.Equal(1001, close?.CloseStatus);
        Assert.Equal("Idle timeout", close?.CloseReason);
        await silent.SendCloseAsync(1001, cancellationToken: Ct);
        Assert.True(await silent.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));
        var (gone, info) = await handler.NextDisconnectedAsync();
        Assert.Same(silentConnection, gone);
        Assert.Equal(DisconnectReason.IdleTimeout, info.Reason);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, info.CloseStatus);

        // The chatty peer keeps talking for longer than another IdleTimeout (until an echo completes past it: an event,
        // not a sleep) and is still open. Had the server taken it for idle, that echo would have failed instead.
        var pastAnotherIdleTimeout = echoTimes.EchoAfterAsync(idleTimeout + TimeSpan.FromSeconds(0.5));
        Assert.True(
            await Task.WhenAny(pastAnotherIdleTimeout, chatter).WaitAsync(TimeSpan.FromSeconds(30), Ct) == pastAnotherIdleTimeout,
            $"the chatty peer stopped after {echoTimes.Count} echoes: {chatter.Exception?.InnerException?.Message}");
        await stopChatting.CancelAsync();
        var echoes = await chatter;
        Assert.True(echoes > 10, $"only {echoes} echoes");
        Assert.Equal(WebSocketState.Open, chatty.State);
        Assert.Equal(WebSocketState.Open, chattyConnection.State);
        Assert.Equal(1, handler.DisconnectedCount);
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Category == Log.Category && r.Id.Id == 9);
    }

    /// <summary>(KeepAliveTests cover the reason, the log line and a peer that answers; this is what operators count.)</summary>
    [Fact]
    public async Task Dead_peers_dropped_by_keep_alive_are_counted_by_the_duration_metric_under_reason_KeepAliveTimeout()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
            o.KeepAliveTimeout = TimeSpan.FromSeconds(1);
        }));
        using var durations = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), WebSocketMetrics.MeterName, "websocket.server.connection.duration");

        // Two peers that read the pings but never answer them.
        await using var first = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        await using var second = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        Assert.True(await first.WaitForServerCloseAsync(TimeSpan.FromSeconds(15), Ct));
        Assert.True(await second.WaitForServerCloseAsync(TimeSpan.FromSeconds(15), Ct));

        await durations.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(10));
        var measurements = durations.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        Assert.All(measurements, m => Assert.Equal(nameof(DisconnectReason.KeepAliveTimeout), m.Tags["websocket.disconnect.reason"]));
        Assert.All(measurements, m => Assert.False(m.Tags.ContainsKey("websocket.close.status")));
        Assert.Equal(2, app.Logs.GetSnapshot().Count(r => r.Category == Log.Category && r.Id.Id == 8));
    }

    private static async Task<int> ChatAsync(ClientWebSocket client, EchoClock echoTimes, CancellationToken stop)
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
            echoTimes.Echoed();
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

    /// <summary>Signals when an echo completes at least a given time after it was asked to watch.</summary>
    private sealed class EchoClock
    {
        private readonly Lock _gate = new();
        private (Stopwatch Since, TimeSpan After, TaskCompletionSource Done)? _watch;
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task EchoAfterAsync(TimeSpan after)
        {
            lock (_gate)
            {
                var watch = (Stopwatch.StartNew(), after, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                _watch = watch;
                return watch.Item3.Task;
            }
        }

        public void Echoed()
        {
            Interlocked.Increment(ref _count);
            lock (_gate)
            {
                if (_watch is { } watch && watch.Since.Elapsed >= watch.After)
                {
                    watch.Done.TrySetResult();
                }
            }
        }
    }
}
