using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 7 (Close Handling), RFC 6455 sections 5.5.1, 7.1 and 7.4: a close frame with a valid
/// status is answered with the same status and the server then closes TCP; an invalid status, a 1-byte payload or a
/// reason that is not UTF-8 fail the connection with 1002; nothing sent after the close frame is processed.
/// </summary>
public sealed class CloseHandlingTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// The codes RFC 6455 section 7.4 lets an endpoint send, plus 1012-1014 (registered with IANA since): the server
    /// answers with the same code.
    /// </summary>
    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public async Task Close_with_valid_code_C_is_answered_with_C_and_TCP_is_closed(int code)
    {
        await using var client = await server.ConnectAsync();

        await client.SendCloseAsync(code, "reason", Ct);

        await ConformanceAssert.ExpectCloseAnswerAsync(client, code);
    }

    /// <summary>Codes that must never be sent (0-999, 1004-1006, 1015, unassigned 1016-2999, above 4999) fail the connection with 1002.</summary>
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
    [InlineData(65535)]
    public async Task Close_with_invalid_code_C_fails_with_1002(int code)
    {
        await using var client = await server.ConnectAsync();

        await client.SendCloseAsync(code, cancellationToken: Ct);

        // The client already sent its close frame, so it does not send another one.
        await ConformanceAssert.FailsWithAsync(client, 1002, answerClose: false);
    }

    [Theory]
    [InlineData(0x03)]
    [InlineData(0xE8)]
    public async Task Close_with_a_1_byte_payload_fails_with_1002(byte payload)
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(Frame.Close, [payload], cancellationToken: Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002, answerClose: false);
    }

    /// <summary>
    /// Pins the platform's choice: RFC 6455 section 8.1 makes invalid UTF-8 in a close reason a failure without naming
    /// the code; the platform answers 1002 (Protocol Error), not 1007 (Invalid Payload Data).
    /// </summary>
    [Theory]
    [InlineData("C0AF")]
    [InlineData("EDA080")]
    [InlineData("F4908080")]
    [InlineData("6F6BE282")]
    public async Task Close_reason_with_invalid_UTF8_fails_with_1002_not_1007_pinned(string reasonHex)
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(Frame.Close, TestPayloads.Join(RawWebSocketClient.ClosePayload(1000), TestPayloads.Hex(reasonHex)), cancellationToken: Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002, answerClose: false);
    }

    [Fact]
    public async Task Close_with_a_123_byte_UTF8_reason_is_answered_with_the_same_code()
    {
        await using var client = await server.ConnectAsync();

        // 41 three-byte characters: the longest reason a control frame can carry.
        await client.SendCloseAsync(1000, new string('\u20AC', 41), Ct);

        await ConformanceAssert.ExpectCloseAnswerAsync(client, 1000);
    }

    /// <summary>
    /// Pins the answer to a close frame without a status: the platform reports 1000 and the server answers with
    /// 1000 (RFC 6455 section 5.5.1 allows either an empty close or one with a status).
    /// </summary>
    [Fact]
    public async Task Close_with_an_empty_payload_is_answered_with_1000_and_TCP_is_closed()
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(Frame.Close, [], cancellationToken: Ct);

        await ConformanceAssert.ExpectCloseAnswerAsync(client, 1000);
    }

    /// <summary>
    /// RFC 6455 section 7.1.1: after the close handshake the server closes TCP first. On an endpoint whose close timeout
    /// is a minute, an end within the test's wait shows the server closes at once rather than waiting for the client.
    /// </summary>
    [Fact]
    public async Task Server_closes_TCP_right_after_the_close_handshake_without_waiting_for_its_close_timeout()
    {
        await using var client = await server.ConnectAsync(ConformanceServer.LongCloseTimeoutPath);

        await client.SendCloseAsync(1000, cancellationToken: Ct);

        await ConformanceAssert.ExpectCloseAnswerAsync(client, 1000);
    }

    [Fact]
    public async Task Data_sent_after_the_close_frame_is_not_processed()
    {
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(TestPayloads.Join(
            RawWebSocketClient.BuildFrame(Frame.Close, RawWebSocketClient.ClosePayload(1000)),
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("after close")),
            TestPayloads.ClientFrame(Frame.Ping, TestPayloads.Utf8("after close"))), Ct);

        // Only the answer to the close: no echo, no pong.
        await ConformanceAssert.ExpectCloseAnswerAsync(client, 1000);
    }

    [Fact]
    public async Task Close_in_the_middle_of_a_fragmented_message_is_answered()
    {
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("never finished"), fin: false),
            RawWebSocketClient.BuildFrame(Frame.Close, RawWebSocketClient.ClosePayload(1000))), Ct);

        await ConformanceAssert.ExpectCloseAnswerAsync(client, 1000);
    }

    [Fact]
    public async Task Close_frame_written_byte_by_byte_is_answered()
    {
        await using var client = await server.ConnectAsync();
        var message = TestPayloads.Utf8("before close");

        await client.WriteChunkedAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, message),
            RawWebSocketClient.BuildFrame(Frame.Close, RawWebSocketClient.ClosePayload(3001, "bye"))), 1, Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, message);
        await ConformanceAssert.ExpectCloseAnswerAsync(client, 3001);
    }
}
