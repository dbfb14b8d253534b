using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>The connection double: what it records, and the real connection's rules it keeps.</summary>
public sealed class TestWebSocketConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Records_text_and_binary_sends_in_order_each_with_its_type_and_a_copy_of_the_payload()
    {
        var connection = new TestWebSocketConnection();
        var reused = new byte[] { 1, 2, 3 };

        await connection.SendTextAsync("one", Ct);
        await connection.SendBinaryAsync(reused, Ct);
        await connection.SendTextAsync("two €"u8.ToArray(), Ct);
        reused[0] = 99;

        var sent = connection.SentMessages;
        Assert.Equal([WebSocketMessageType.Text, WebSocketMessageType.Binary, WebSocketMessageType.Text], sent.Select(m => m.MessageType));
        Assert.Equal("one", sent[0].GetText());
        Assert.Equal(new byte[] { 1, 2, 3 }, sent[1].Payload.ToArray());
        Assert.Equal("two €", sent[2].GetText());
        Assert.Equal(["one", "two €"], connection.SentTexts);
    }

    [Fact]
    public async Task Concurrent_sends_are_all_recorded()
    {
        var connection = new TestWebSocketConnection();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () => await connection.SendTextAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Ct)));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), connection.SentTexts.Order());
    }

    [Fact]
    public async Task Invalid_UTF8_text_is_an_ArgumentException_naming_utf8Text_and_nothing_is_recorded()
    {
        var connection = new TestWebSocketConnection();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await connection.SendTextAsync(new byte[] { 0x41, 0xFF }, Ct));

        Assert.Equal("utf8Text", error.ParamName);
        Assert.Empty(connection.SentMessages);
    }

    [Fact]
    public async Task Text_with_an_unpaired_surrogate_is_an_ArgumentException_as_on_the_real_connection()
    {
        var connection = new TestWebSocketConnection();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await connection.SendTextAsync("bad \uD800", Ct));

        Assert.Empty(connection.SentMessages);
    }

    [Fact]
    public async Task Send_with_a_cancelled_token_throws_OperationCanceledException_and_records_nothing()
    {
        var connection = new TestWebSocketConnection();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connection.SendTextAsync("never", new CancellationToken(canceled: true)));

        Assert.Empty(connection.SentMessages);
    }

    [Fact]
    public async Task CloseAsync_records_status_and_reason_ends_the_connection_fires_ConnectionClosed_and_later_sends_throw()
    {
        var connection = new TestWebSocketConnection();
        var token = connection.ConnectionClosed;

        await connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "Text only", Ct);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, connection.CloseStatus);
        Assert.Equal("Text only", connection.CloseStatusDescription);
        Assert.Equal(WebSocketState.Closed, connection.State);
        Assert.True(token.IsCancellationRequested);
        Assert.False(connection.IsAborted);
        var error = await Assert.ThrowsAsync<WebSocketException>(async () => await connection.SendTextAsync("after", Ct));
        Assert.Equal(WebSocketError.InvalidState, error.WebSocketErrorCode);
        await Assert.ThrowsAsync<WebSocketException>(async () => await connection.SendBinaryAsync(new byte[] { 1 }, Ct));
        Assert.Empty(connection.SentMessages);
    }

    [Fact]
    public async Task Second_CloseAsync_does_nothing_the_first_status_stays()
    {
        var connection = new TestWebSocketConnection();

        await connection.CloseAsync((WebSocketCloseStatus)4001, "first", Ct);
        await connection.CloseAsync((WebSocketCloseStatus)4002, "second", Ct);

        Assert.Equal((WebSocketCloseStatus)4001, connection.CloseStatus);
        Assert.Equal("first", connection.CloseStatusDescription);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(2999)]
    [InlineData(5000)]
    public async Task CloseAsync_with_a_status_an_endpoint_may_not_send_is_an_ArgumentOutOfRangeException_and_the_connection_stays_open(int status)
    {
        var connection = new TestWebSocketConnection();

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await connection.CloseAsync((WebSocketCloseStatus)status, "x", Ct));

        Assert.Equal("closeStatus", error.ParamName);
        Assert.Equal(WebSocketState.Open, connection.State);
        Assert.Null(connection.CloseStatus);
    }

    [Fact]
    public async Task Close_reason_longer_than_123_UTF8_bytes_is_cut_on_a_character_boundary()
    {
        var connection = new TestWebSocketConnection();
        var reason = new string('a', 122) + "€€"; // 122 + 3 + 3 bytes

        await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, reason, Ct);

        Assert.Equal(new string('a', 122), connection.CloseStatusDescription);
        Assert.True(Encoding.UTF8.GetByteCount(connection.CloseStatusDescription!) <= 123);
    }

    [Fact]
    public async Task Abort_marks_the_connection_aborted_fires_ConnectionClosed_with_no_close_status_and_later_sends_throw()
    {
        var connection = new TestWebSocketConnection();

        connection.Abort();

        Assert.True(connection.IsAborted);
        Assert.Equal(WebSocketState.Aborted, connection.State);
        Assert.True(connection.ConnectionClosed.IsCancellationRequested);
        Assert.Null(connection.CloseStatus);
        await Assert.ThrowsAsync<WebSocketException>(async () => await connection.SendTextAsync("after", Ct));
    }

    [Fact]
    public async Task CloseFromPeer_ends_the_connection_and_returns_ClosedByPeer_with_the_peers_status_for_OnDisconnected()
    {
        var connection = new TestWebSocketConnection();

        var disconnect = connection.CloseFromPeer((WebSocketCloseStatus)4000, "bye");

        Assert.Equal(DisconnectReason.ClosedByPeer, disconnect.Reason);
        Assert.Equal((WebSocketCloseStatus)4000, disconnect.CloseStatus);
        Assert.Equal("bye", disconnect.CloseStatusDescription);
        Assert.Null(disconnect.Error);
        Assert.Equal(WebSocketState.Closed, connection.State);
        Assert.True(connection.ConnectionClosed.IsCancellationRequested);
        Assert.Null(connection.CloseStatus); // the handler did not close it
        await Assert.ThrowsAsync<WebSocketException>(async () => await connection.SendTextAsync("after", Ct));
        await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "too late", Ct);
        Assert.Null(connection.CloseStatus);
    }

    [Fact]
    public void New_connections_have_distinct_ids_matching_their_trace_identifier_an_anonymous_user_and_their_own_Items()
    {
        var first = new TestWebSocketConnection();
        var second = new TestWebSocketConnection();
        first.Items["room"] = "blue";

        Assert.NotEqual(first.Id, second.Id);
        Assert.StartsWith("test-", first.Id, StringComparison.Ordinal);
        Assert.Equal(first.Id, first.HttpContext.TraceIdentifier);
        Assert.False(first.HttpContext.User.Identity?.IsAuthenticated ?? false);
        Assert.Null(first.HttpContext.User.Identity?.Name);
        Assert.Empty(second.Items);
        Assert.Equal(WebSocketState.Open, first.State);
        Assert.False(first.ConnectionClosed.IsCancellationRequested);
        Assert.Null(first.SubProtocol);
    }

    [Fact]
    public void AuthenticateAs_sets_an_authenticated_user_with_the_name_and_roles()
    {
        var connection = new TestWebSocketConnection().AuthenticateAs("alice", "admin");

        Assert.True(connection.HttpContext.User.Identity?.IsAuthenticated);
        Assert.Equal("alice", connection.HttpContext.User.Identity?.Name);
        Assert.True(connection.HttpContext.User.IsInRole("admin"));
        Assert.False(connection.HttpContext.User.IsInRole("owner"));
    }

    [Fact]
    public void Id_HttpContext_and_SubProtocol_are_settable_for_what_the_handler_reads()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.QueryString = new Microsoft.AspNetCore.Http.QueryString("?room=blue");

        var connection = new TestWebSocketConnection { Id = "c-42", HttpContext = context, SubProtocol = "chat.v2" };

        Assert.Equal("c-42", connection.Id);
        Assert.Equal("blue", connection.HttpContext.Request.Query["room"]);
        Assert.Equal("chat.v2", connection.SubProtocol);
    }

    [Fact]
    public void TestMessages_build_text_and_binary_messages()
    {
        var text = TestMessages.Text("héllo");
        var binary = TestMessages.Binary([1, 2, 3]);

        Assert.True(text.IsText);
        Assert.Equal("héllo", text.GetText());
        Assert.Equal(WebSocketMessageType.Binary, binary.MessageType);
        Assert.Equal(new byte[] { 1, 2, 3 }, binary.Payload.ToArray());
        Assert.ThrowsAny<ArgumentException>(() => TestMessages.Text("bad \uDC00"));
    }
}
