using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 2 (Pings/Pongs), RFC 6455 sections 5.5.2 and 5.5.3: a ping is answered with a pong
/// carrying the same payload, an unsolicited pong is ignored, and control frames longer than 125 bytes or fragmented
/// fail the connection with 1002.
/// </summary>
public sealed class PingPongTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(125, 0)]
    [InlineData(125, 1)]
    [InlineData(60, 7)]
    public async Task Ping_with_P_bytes_written_in_pieces_of_C_bytes_is_answered_by_a_pong_with_the_same_payload(int length, int chunkSize)
    {
        await using var client = await server.ConnectAsync();
        var payload = TestPayloads.Binary(length);
        var ping = TestPayloads.ClientFrame(Frame.Ping, payload);

        await (chunkSize == 0 ? client.WriteRawAsync(ping, Ct) : client.WriteChunkedAsync(ping, chunkSize, Ct));

        await ConformanceAssert.ExpectPongAsync(client, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Fact]
    public async Task Ten_pings_in_one_write_get_ten_pongs_in_order()
    {
        await using var client = await server.ConnectAsync();
        var payloads = Enumerable.Range(0, 10).Select(i => TestPayloads.Utf8("ping " + i)).ToArray();

        await client.WriteRawAsync(TestPayloads.Join([.. payloads.Select(p => TestPayloads.ClientFrame(Frame.Ping, p))]), Ct);

        foreach (var payload in payloads)
        {
            await ConformanceAssert.ExpectPongAsync(client, payload);
        }

        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    public async Task Unsolicited_pong_of_P_bytes_is_ignored_and_the_next_message_is_echoed(int length)
    {
        await using var client = await server.ConnectAsync();
        var message = TestPayloads.Utf8("after the pong");

        await client.WriteRawAsync(TestPayloads.Join(TestPayloads.ClientFrame(Frame.Pong, TestPayloads.Binary(length)), TestPayloads.ClientFrame(Frame.Text, message)), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, message);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(Frame.Ping, 126)]
    [InlineData(Frame.Ping, 65536)]
    [InlineData(Frame.Pong, 126)]
    [InlineData(Frame.Close, 126)]
    public async Task Control_frame_with_more_than_125_bytes_fails_with_1002(byte opcode, int length)
    {
        await using var client = await server.ConnectAsync();
        var payload = opcode == Frame.Close ? TestPayloads.Join(RawWebSocketClient.ClosePayload(1000), TestPayloads.Text(length - 2)) : TestPayloads.Binary(length);

        await client.SendFrameAsync(opcode, payload, cancellationToken: Ct);

        // A 126-byte close frame is a protocol error, not a close: the client has not closed, so it answers.
        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Theory]
    [InlineData(Frame.Ping)]
    [InlineData(Frame.Pong)]
    [InlineData(Frame.Close)]
    public async Task Fragmented_control_frame_fails_with_1002(byte opcode)
    {
        await using var client = await server.ConnectAsync();
        var first = opcode == Frame.Close ? RawWebSocketClient.ClosePayload(1000) : TestPayloads.Utf8("frag");

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(opcode, first, fin: false),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8("ment"))), Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }
}
