using System.Net.WebSockets;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.ConnectionApi;

/// <summary>IWebSocketConnection's sends and CloseAsync as a handler uses them: what goes out, and what is refused up front.</summary>
public sealed class ConnectionApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1000, "done")]
    [InlineData(1001, "going away")]
    [InlineData(1008, "policy")]
    [InlineData(4000, "application specific")]
    [InlineData(4999, "")]
    public async Task CloseAsync_from_the_handler_sends_the_status_and_reason_and_ends_with_ClosedByServer(int status, string reason)
    {
        var handler = new RecordingHandler { OnMessage = (c, _) => c.CloseAsync((WebSocketCloseStatus)status, reason) };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();

        await client.SendTextAsync("close please", Ct);
        await client.ExpectCloseAsync((WebSocketCloseStatus)status, reason, Ct);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByServer, info.Reason);
        Assert.Equal((WebSocketCloseStatus)status, info.CloseStatus);
        Assert.Equal(reason, info.CloseStatusDescription);
    }

    [Fact]
    public async Task CloseAsync_called_from_outside_the_handler_on_a_captured_connection_closes_it()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "from outside", Ct);

        await client.ExpectCloseAsync(WebSocketCloseStatus.NormalClosure, "from outside", Ct);
    }

    [Fact]
    public async Task CloseAsync_twice_sends_one_close_frame_and_the_second_call_does_nothing()
    {
        var handler = new RecordingHandler
        {
            OnMessage = static async (c, _) =>
            {
                await c.CloseAsync((WebSocketCloseStatus)4001, "first");
                await c.CloseAsync((WebSocketCloseStatus)4002, "second");
            },
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();

        await client.SendTextAsync("close twice", Ct);
        await client.ExpectCloseAsync((WebSocketCloseStatus)4001, "first", Ct);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal((WebSocketCloseStatus)4001, info.CloseStatus);
        Assert.Equal("first", info.CloseStatusDescription);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(2999)]
    [InlineData(5000)]
    public async Task CloseAsync_with_a_status_an_endpoint_may_not_send_throws_ArgumentOutOfRangeException_and_the_connection_stays_open(int status)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await connection.CloseAsync((WebSocketCloseStatus)status, "x", Ct));

        Assert.Equal("closeStatus", error.ParamName);
        Assert.Equal("still open", await client.RoundTripAsync("still open"));
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong encoding of '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // UTF-16 surrogate encoded as UTF-8
    [InlineData(new byte[] { 0x41, 0xFF, 0x42 })] // a byte that never appears in UTF-8
    [InlineData(new byte[] { 0x41, 0xE2, 0x82 })] // a sequence cut short at the end
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // above U+10FFFF
    public async Task SendTextAsync_with_invalid_UTF8_bytes_throws_ArgumentException_and_sends_nothing(byte[] invalid)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await connection.SendTextAsync(invalid, Ct));

        Assert.Equal("utf8Text", error.ParamName);
        Assert.Equal("next message", await client.RoundTripAsync("next message"));
    }

    [Fact]
    public async Task SendTextAsync_with_a_string_holding_an_unpaired_surrogate_throws_ArgumentException()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await connection.SendTextAsync("bad \uDC00 text", Ct));

        Assert.Equal("next message", await client.RoundTripAsync("next message"));
    }

    [Fact]
    public async Task SendTextAsync_and_SendBinaryAsync_from_outside_the_handler_arrive_with_their_types()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        await connection.SendTextAsync("text é", Ct);
        await connection.SendTextAsync("utf8 €"u8.ToArray(), Ct);
        await connection.SendBinaryAsync(new byte[] { 0xFF, 0x00 }, Ct);

        Assert.Equal("text é", await client.ReceiveTextAsync(Ct));
        Assert.Equal("utf8 €", await client.ReceiveTextAsync(Ct));
        Assert.Equal(new byte[] { 0xFF, 0x00 }, await client.ReceiveBinaryAsync(Ct));
    }

    [Fact]
    public async Task Send_with_an_already_cancelled_token_throws_OperationCanceledException_and_sends_nothing()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connection.SendTextAsync("never", new CancellationToken(canceled: true)));

        await connection.SendTextAsync("first to arrive", Ct);
        Assert.Equal("first to arrive", await client.ReceiveTextAsync(Ct));
    }
}
