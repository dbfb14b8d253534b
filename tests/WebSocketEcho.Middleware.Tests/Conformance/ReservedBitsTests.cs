using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 3 (Reserved Bits), RFC 6455 section 5.2: with no extension negotiated, a frame with RSV1,
/// RSV2 or RSV3 set fails the connection with 1002, whatever its type, and nothing of it is echoed.
/// </summary>
public sealed class ReservedBitsTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every non-zero RSV combination (4 = RSV1, 2 = RSV2, 1 = RSV3) on a text, binary and ping frame.</summary>
    public static TheoryData<byte, byte> ReservedBitsOnFrames()
    {
        var data = new TheoryData<byte, byte>();
        for (byte rsv = 1; rsv <= 7; rsv++)
        {
            foreach (var opcode in new[] { Frame.Text, Frame.Binary, Frame.Ping })
            {
                data.Add(rsv, opcode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReservedBitsOnFrames))]
    public async Task Frame_with_reserved_bits_R_set_fails_with_1002(byte rsv, byte opcode)
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(opcode, TestPayloads.Utf8("reserved"), rsv: rsv, cancellationToken: Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Fact]
    public async Task Message_before_a_frame_with_RSV2_is_echoed_then_the_connection_fails_with_1002()
    {
        await using var client = await server.ConnectAsync();
        var before = TestPayloads.Utf8("before");

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, before),
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("bad"), rsv: 2),
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("after"))), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, before);
        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Fact]
    public async Task Continuation_frame_with_RSV1_fails_with_1002()
    {
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("start"), fin: false),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8("end"), rsv: 4)), Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }
}
