using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Lifecycle;

/// <summary>The server closes: the close frame on the wire (status, reason within 125 bytes), then TCP once the peer answers or CloseTimeout passes.</summary>
public sealed class ServerCloseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("abcdefghij", 20, 123, 123)] // 200 bytes of ASCII: the first 123
    [InlineData("é", 100, 61, 122)] // 2-byte characters: a 62nd would need bytes 123-124
    [InlineData("€", 100, 41, 123)] // 3-byte characters: exactly 123 bytes
    [InlineData("😀", 100, 60, 120)] // surrogate pairs (4 bytes): 30 emoji, never half of one
    [InlineData("a€é😀", 40, 61, 121)] // 12 units of 10 bytes, then "a"; the next "€" would end at byte 124
    [InlineData("€", 41, 41, 123)] // exactly 123 bytes: unchanged
    public async Task CloseAsync_reason_longer_than_123_bytes_is_cut_on_a_character_boundary_in_the_close_frame(
        string unit, int repeat, int expectedChars, int expectedBytes)
    {
        var reason = string.Concat(Enumerable.Repeat(unit, repeat));
        var expected = reason[..Math.Min(expectedChars, reason.Length)];
        var handler = new RecordingHandler { OnMessage = (c, _) => c.CloseAsync((WebSocketCloseStatus)4000, reason) };
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendTextAsync("close with a long reason", Ct);
        var close = await raw.ReadFrameAsync(cancellationToken: Ct);
        await raw.SendCloseAsync(1000, cancellationToken: Ct);

        Assert.Equal(Frame.Close, close.Opcode);
        Assert.Equal(4000, close.CloseStatus);
        Assert.Equal(2 + expectedBytes, close.Payload.Length);
        Assert.Equal(expected, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(close.Payload, 2, close.Payload.Length - 2));

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByServer, info.Reason);
        Assert.Equal(expected, info.CloseStatusDescription);
    }

    [Fact]
    public async Task CloseAsync_from_a_captured_connection_reaches_a_ClientWebSocket_with_status_and_reason()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        var connection = await handler.NextConnectedAsync();

        await connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "policy é", Ct);
        var close = await client.ReceiveMessageAsync();
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("policy é", close.CloseDescription);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByServer, info.Reason);
        await app.WaitForConnectionClosedLogAsync(connection.Id);
        Assert.All(app.MiddlewareLogs, r => Assert.True(r.Level <= LogLevel.Debug, r.Message));
    }

    [Fact]
    public async Task Server_closes_TCP_as_soon_as_the_client_answers_its_close_frame()
    {
        var handler = new RecordingHandler { OnMessage = static (c, _) => c.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye") };
        await using var app = await TestApp.StartKestrelAsync(handler, o => o.CloseTimeout = TimeSpan.FromMinutes(5));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendTextAsync("close please", Ct);
        Assert.Equal(1000, (await raw.ReadFrameAsync(cancellationToken: Ct)).CloseStatus);
        await raw.SendCloseAsync(1000, cancellationToken: Ct);

        // Well before the 5 minute CloseTimeout.
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task Client_that_never_answers_the_close_frame_is_aborted_after_CloseTimeout_logged_at_Debug()
    {
        var handler = new RecordingHandler { OnMessage = static (c, _) => c.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye") };
        await using var app = await TestApp.StartKestrelAsync(handler, o => o.CloseTimeout = TimeSpan.FromMilliseconds(500));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendTextAsync("close please", Ct);
        Assert.Equal(1000, (await raw.ReadFrameAsync(cancellationToken: Ct)).CloseStatus);

        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct), "the server gives up after CloseTimeout");
        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByServer, info.Reason);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, info.CloseStatus);
        await app.WaitForConnectionClosedLogAsync(connection.Id);
        var timedOut = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 12);
        Assert.Equal(LogLevel.Debug, timedOut.Level);
        Assert.All(app.MiddlewareLogs, r => Assert.True(r.Level <= LogLevel.Debug, r.Message));
    }

    [Fact]
    public async Task Data_the_client_sends_after_the_server_close_frame_is_discarded_until_its_close_frame()
    {
        var handler = new RecordingHandler
        {
            OnMessage = static (c, m) => m.GetText() == "close" ? c.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye") : ValueTask.CompletedTask,
        };
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendTextAsync("close", Ct);
        Assert.Equal(1000, (await raw.ReadFrameAsync(cancellationToken: Ct)).CloseStatus);
        await raw.SendTextAsync("in flight 1", Ct);
        await raw.SendFrameAsync(Frame.Binary, new byte[5000], cancellationToken: Ct);
        await raw.SendCloseAsync(1000, cancellationToken: Ct);

        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByServer, info.Reason);
        Assert.Single(handler.Messages);
    }
}
