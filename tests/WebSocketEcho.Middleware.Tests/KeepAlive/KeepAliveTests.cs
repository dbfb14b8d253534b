using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.KeepAlive;

/// <summary>Keep-alive against the real platform: pings go out, a peer that never pongs is dropped, a live one stays.</summary>
public sealed class KeepAliveTests
{
    // The platform checks keep-alive on a heartbeat of at least one second: it sends a ping when the interval has passed
    // and drops the peer at the first heartbeat after KeepAliveTimeout without the pong. A peer that never answers is
    // dropped within 1.5 to 2.5 s here; one that answers has 4 s to do it (a loaded CI machine can stall a client's
    // thread pool for a second or more), which is the margin, not the point, of the second test.
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan s_answerTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan s_heartbeat = TimeSpan.FromSeconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TestApp> StartAsync(RecordingHandler handler, TimeSpan? timeout = null) =>
        TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o =>
        {
            o.KeepAliveInterval = s_interval;
            o.KeepAliveTimeout = timeout ?? s_timeout;
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
        await using var app = await StartAsync(handler, s_answerTimeout);
        using var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        var frames = await ObservedFrames.ConnectAsync(client, app.WebSocketUri("/ws"), Ct);
        var connection = await handler.NextConnectedAsync();

        // Pongs are only sent while a receive is pending: keep one pending across several ping rounds.
        var receive = client.ReceiveMessageAsync(TimeSpan.FromSeconds(120));

        // Wait for the wire, not the clock: until the client has answered pings over more than KeepAliveTimeout plus a
        // heartbeat and a margin. Had the server not taken the pongs, it would have dropped the connection by then
        // (at most KeepAliveTimeout plus one heartbeat after the first unanswered ping), ending the receive.
        var span = s_answerTimeout + s_heartbeat + TimeSpan.FromSeconds(0.5);
        var answered = frames.WhenAsync(f => f.SentSpan(Frame.Pong) > span);
        var first = await Task.WhenAny(answered, receive, Task.Delay(TimeSpan.FromSeconds(60), Ct));
        Assert.True(
            first == answered,
            $"{(first == receive ? $"the connection ended ({(receive.IsFaulted ? receive.Exception?.InnerException?.Message : "closed")})" : "no end after 60 s")}: " +
            $"{frames.Received(Frame.Ping)} pings received and {frames.Sent(Frame.Pong)} pongs sent over {frames.SentSpan(Frame.Pong)}, waiting for pongs over more than {span}");

        Assert.Equal(WebSocketState.Open, connection.State);
        Assert.Equal(0, handler.DisconnectedCount);
        Assert.True(frames.Received(Frame.Ping) >= 3, $"only {frames.Received(Frame.Ping)} pings arrived");
        Assert.True(frames.Sent(Frame.Pong) >= frames.Received(Frame.Ping) - 1, $"{frames.Received(Frame.Ping)} pings, only {frames.Sent(Frame.Pong)} pongs");
        await client.SendTextAsync("still alive", Ct);
        var reply = await receive;
        Assert.Equal("still alive", reply.Text);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
    }
}
