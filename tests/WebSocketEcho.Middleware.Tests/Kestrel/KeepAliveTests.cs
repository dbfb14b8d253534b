using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Kestrel;

/// <summary>Keep-alive against the real platform: pings go out, a peer that never pongs is dropped, a live one stays.</summary>
public sealed class KeepAliveTests
{
    // The platform checks keep-alive on a timer of at least one second, so a peer has one to two seconds to answer a
    // ping: generous enough for a loaded CI machine, short enough to keep the tests quick.
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(1500);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TestApp> StartAsync(RecordingHandler handler) =>
        TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o =>
        {
            o.KeepAliveInterval = s_interval;
            o.KeepAliveTimeout = s_timeout;
        }));

    [Fact]
    public async Task Raw_client_that_never_answers_pings_is_dropped_with_DisconnectReason_KeepAliveTimeout()
    {
        var handler = new RecordingHandler();
        await using var app = await StartAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);
        Assert.Equal(101, raw.Handshake.StatusCode);

        // The server pings; this client reads the pings but never answers them.
        var ping = await raw.ReadFrameAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(Frame.Ping, ping.Opcode);

        var (_, info) = await handler.NextDisconnectedAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(DisconnectReason.KeepAliveTimeout, info.Reason);
        Assert.Null(info.CloseStatus);
        var error = Assert.IsType<WebSocketException>(info.Error);
        Assert.Contains("KeepAliveTimeout", error.Message, StringComparison.Ordinal);
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));

        var logs = app.MiddlewareLogs;
        Assert.Contains(logs, r => r.Id.Id == 8 && r.Level == LogLevel.Debug);
        Assert.DoesNotContain(logs, r => r.Level > LogLevel.Debug);
    }

    [Fact]
    public async Task ClientWebSocket_that_answers_pings_stays_connected_past_the_keep_alive_timeout()
    {
        var handler = new RecordingHandler();
        await using var app = await StartAsync(handler);
        using var client = await app.ConnectClientAsync("/ws", o => o.KeepAliveInterval = TimeSpan.Zero);
        var connection = await handler.NextConnectedAsync();

        // Pongs are only sent while a receive is pending: keep one pending across several ping rounds.
        var receive = client.ReceiveMessageAsync(TimeSpan.FromSeconds(30));
        // Staying connected over time is the point: wait out two keep-alive timeouts (several ping rounds).
        await Task.Delay(s_timeout * 2, Ct);

        Assert.Equal(WebSocketState.Open, connection.State);
        Assert.Equal(0, handler.DisconnectedCount);
        await client.SendTextAsync("still alive", TestContext.Current.CancellationToken);
        var reply = await receive;
        Assert.Equal("still alive", reply.Text);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
    }
}
