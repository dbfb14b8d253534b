using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// RFC 6455 section 5.3 (client-to-server masking). Autobahn|Testsuite has no section for it (its client always
/// masks), so these cases are ours: any masking key works, and an unmasked frame fails the connection with 1002.
/// </summary>
public sealed class MaskingTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0x00000000u)]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x01020304u)]
    [InlineData(0x80000001u)]
    public async Task Masked_frame_is_unmasked_with_its_own_key(uint maskKey)
    {
        await using var client = await server.ConnectAsync();
        var payload = TestPayloads.Binary(1000);

        await client.WriteRawAsync(RawWebSocketClient.BuildFrame(Frame.Binary, payload, maskKey: maskKey), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Binary, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    /// <summary>
    /// RFC 6455 section 5.1: "The server MUST close the connection upon receiving a frame that is not masked"; the
    /// platform (.NET 10) does, with 1002. Older runtimes accepted unmasked frames, so this pins the platform's answer.
    /// </summary>
    [Theory]
    [InlineData(Frame.Text, 4)]
    [InlineData(Frame.Binary, 20)]
    [InlineData(Frame.Ping, 10)]
    public async Task Unmasked_client_frame_fails_with_1002(byte opcode, int length)
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(opcode, TestPayloads.For(opcode, length), mask: false, cancellationToken: Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Fact]
    public async Task Unmasked_frame_after_a_masked_message_fails_with_1002_after_the_echo()
    {
        await using var client = await server.ConnectAsync();
        var message = TestPayloads.Utf8("masked");

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, message),
            RawWebSocketClient.BuildFrame(Frame.Text, TestPayloads.Utf8("not masked"), mask: false)), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, message);
        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    /// <summary>
    /// PINS A PLATFORM GAP. The platform reads a client frame's header together with its 4 mask bytes before it looks
    /// at the mask bit, so an unmasked frame shorter than 6 bytes gets no answer until more bytes arrive; then 1002.
    /// </summary>
    [Fact]
    public async Task Unmasked_frame_shorter_than_six_bytes_is_refused_only_when_more_bytes_arrive()
    {
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(RawWebSocketClient.BuildFrame(Frame.Text, "abc"u8, mask: false), Ct);
        await Assert.ThrowsAsync<TimeoutException>(() => client.ReadFrameAsync(TimeSpan.FromSeconds(1), Ct));

        await client.WriteRawAsync(new byte[] { 0x81 }, Ct);
        await ConformanceAssert.FailsWithAsync(client, 1002);
    }
}
