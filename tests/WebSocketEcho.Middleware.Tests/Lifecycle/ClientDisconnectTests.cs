using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Lifecycle;

/// <summary>
/// The peer ends the connection: with a close handshake (the server answers and closes TCP) or without one (a reset,
/// an abort, a vanished peer). Either way the handler is told once and the log stays at Debug; the host carries on.
/// </summary>
public sealed class ClientDisconnectTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1000, "done")]
    [InlineData(1001, "")]
    [InlineData(4001, "app reason")]
    public async Task Client_close_frame_is_answered_with_the_same_status_then_the_server_closes_TCP(int status, string reason)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendCloseAsync(status, reason, Ct);
        var answer = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(Frame.Close, answer.Opcode);
        Assert.Equal(status, answer.CloseStatus);
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct), "the server closes TCP after the close handshake");

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
        Assert.Equal((WebSocketCloseStatus)status, info.CloseStatus);
        Assert.Equal(reason, info.CloseStatusDescription);
        await AssertNothingAboveDebugAsync(app, connection.Id);
    }

    [Fact]
    public async Task ClientWebSocket_CloseAsync_completes_the_handshake_and_the_handler_sees_ClosedByPeer()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);

        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
        Assert.Equal("bye", info.CloseStatusDescription);
        await AssertNothingAboveDebugAsync(app, connection.Id);
    }

    [Fact]
    public async Task Raw_client_TCP_reset_without_a_close_frame_is_ConnectionLost_with_the_error_logged_at_Debug_and_the_host_keeps_serving()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        await raw.SendTextAsync("hello", Ct);
        await raw.ReadFrameAsync(cancellationToken: Ct);

        raw.Reset();

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ConnectionLost, info.Reason);
        Assert.Null(info.CloseStatus);
        Assert.NotNull(info.Error);
        await AssertNothingAboveDebugAsync(app, connection.Id);
        Assert.Contains(app.MiddlewareLogs, r => r.Id.Id == 7 && r.GetStructuredStateValue("ConnectionId") == connection.Id);
        await AssertHostStillServesAsync(app);
    }

    [Fact]
    public async Task ClientWebSocket_Abort_is_ConnectionLost_logged_at_Debug_and_the_host_keeps_serving()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        Assert.Equal("hello", await client.RoundTripAsync("hello"));

        client.Abort();
        client.Dispose();

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ConnectionLost, info.Reason);
        Assert.NotNull(info.Error);
        await AssertNothingAboveDebugAsync(app, connection.Id);
        await AssertHostStillServesAsync(app);
    }

    [Fact]
    public async Task Raw_client_closing_TCP_without_a_close_frame_is_ConnectionLost()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        raw.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ConnectionLost, info.Reason);
        Assert.NotNull(info.Error);
        await raw.DisposeAsync();
        await AssertNothingAboveDebugAsync(app, connection.Id);
    }

    [Fact]
    public async Task Raw_client_reset_in_the_middle_of_a_fragmented_message_is_ConnectionLost_and_the_message_is_never_dispatched()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        await raw.SendFrameAsync(Frame.Binary, new byte[10_000], fin: false, cancellationToken: Ct);
        await raw.SendFrameAsync(Frame.Continuation, new byte[10_000], fin: false, cancellationToken: Ct);

        raw.Reset();

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ConnectionLost, info.Reason);
        Assert.Empty(handler.Messages);
        await AssertNothingAboveDebugAsync(app, connection.Id);
    }

    [Fact]
    public async Task Client_reset_while_the_handler_is_sending_is_ConnectionLost_not_a_handler_error()
    {
        var handler = new RecordingHandler
        {
            OnMessage = static async (c, _) =>
            {
                var chunk = new byte[64 * 1024];
                while (true)
                {
                    await c.SendBinaryAsync(chunk);
                }
            },
        };
        await using var app = await TestApp.StartKestrelAsync(handler);
        var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        await raw.SendTextAsync("stream to me", Ct);
        await raw.ReadFrameAsync(cancellationToken: Ct); // the stream is flowing

        raw.Reset();

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ConnectionLost, info.Reason);
        Assert.IsType<WebSocketException>(info.Error);
        await AssertNothingAboveDebugAsync(app, connection.Id);
        Assert.DoesNotContain(app.MiddlewareLogs, r => r.Id.Id == 5);
    }

    /// <summary>Waits for the connection's last log line, then checks nothing anyone logged is above Debug.</summary>
    private static async Task AssertNothingAboveDebugAsync(TestApp app, string connectionId)
    {
        await app.WaitForConnectionClosedLogAsync(connectionId);
        Assert.All(app.MiddlewareLogs, r => Assert.True(r.Level <= LogLevel.Debug, $"{r.Level} {r.Id}: {r.Message}"));
        Assert.All(app.Logs.GetSnapshot(), r => Assert.True(r.Level < LogLevel.Warning, $"{r.Category} {r.Level} {r.Id}: {r.Message}"));
    }

    private static async Task AssertHostStillServesAsync(TestApp app)
    {
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        Assert.Equal("after", await client.RoundTripAsync("after"));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }
}
