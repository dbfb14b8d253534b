using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 4 (Opcodes), RFC 6455 section 5.2: the reserved non-control opcodes 3-7 and control
/// opcodes 11-15 fail the connection with 1002, with or without payload, alone, after a message or inside one.
/// </summary>
public sealed class OpcodeTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<byte, int> ReservedOpcodes()
    {
        var data = new TheoryData<byte, int>();
        foreach (byte opcode in new byte[] { 3, 4, 5, 6, 7, 11, 12, 13, 14, 15 })
        {
            data.Add(opcode, 0);
            data.Add(opcode, 9);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReservedOpcodes))]
    public async Task Frame_with_reserved_opcode_O_and_P_bytes_fails_with_1002(byte opcode, int length)
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(opcode, TestPayloads.Binary(length), cancellationToken: Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(12)]
    public async Task Reserved_opcode_after_a_message_fails_with_1002_after_the_echo(byte opcode)
    {
        await using var client = await server.ConnectAsync();
        var message = TestPayloads.Utf8("first");

        await client.WriteRawAsync(TestPayloads.Join(TestPayloads.ClientFrame(Frame.Text, message), TestPayloads.ClientFrame(opcode, [])), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, message);
        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    public async Task Reserved_opcode_inside_a_fragmented_message_fails_with_1002(byte opcode)
    {
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("start"), fin: false),
            TestPayloads.ClientFrame(opcode, TestPayloads.Utf8("odd")),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8("end"))), Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }
}
