using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 1 (Framing), RFC 6455 section 5.2: text and binary messages of every length class reach
/// the handler intact and come back with the shortest payload length encoding, however the bytes are split on TCP.
/// </summary>
public sealed class FramingTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private const int OneMiB = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Length classes: 7-bit (0-125), 16-bit (126-65535), 64-bit (65536 and up).</summary>
    public static TheoryData<byte, int, int> Lengths()
    {
        var data = new TheoryData<byte, int, int>();
        foreach (var opcode in new[] { Frame.Text, Frame.Binary })
        {
            data.Add(opcode, 0, 7);
            data.Add(opcode, 125, 7);
            data.Add(opcode, 126, 7 + 16);
            data.Add(opcode, 127, 7 + 16);
            data.Add(opcode, 65535, 7 + 16);
            data.Add(opcode, 65536, 7 + 64);
            data.Add(opcode, OneMiB, 7 + 64);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public async Task Message_of_length_L_is_echoed_intact_with_the_shortest_length_encoding(byte opcode, int length, int expectedLengthBits)
    {
        await using var client = await server.ConnectAsync();
        var payload = TestPayloads.For(opcode, length);

        await client.SendFrameAsync(opcode, payload, cancellationToken: Ct);

        var echo = await ConformanceAssert.ExpectMessageAsync(client, opcode, payload);
        Assert.Equal(expectedLengthBits, echo.LengthBits);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(Frame.Text, 0, 1)]
    [InlineData(Frame.Text, 1, 1)]
    [InlineData(Frame.Binary, 125, 1)]
    [InlineData(Frame.Text, 126, 1)]
    [InlineData(Frame.Binary, 127, 1)]
    [InlineData(Frame.Text, 300, 2)]
    [InlineData(Frame.Binary, 300, 3)]
    [InlineData(Frame.Text, 65535, 7)]
    [InlineData(Frame.Binary, 65536, 13)]
    [InlineData(Frame.Text, OneMiB, 4099)]
    public async Task Frame_written_in_pieces_of_C_bytes_is_echoed_intact(byte opcode, int length, int chunkSize)
    {
        await using var client = await server.ConnectAsync();
        var payload = TestPayloads.For(opcode, length);

        await client.WriteChunkedAsync(TestPayloads.ClientFrame(opcode, payload), chunkSize, Ct);

        await ConformanceAssert.ExpectMessageAsync(client, opcode, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Fact]
    public async Task Several_frames_in_one_write_are_echoed_in_order()
    {
        await using var client = await server.ConnectAsync();
        var messages = new[] { (Frame.Text, TestPayloads.Text(10)), (Frame.Binary, TestPayloads.Binary(200)), (Frame.Text, TestPayloads.Text(0)), (Frame.Binary, TestPayloads.Binary(70000)) };

        await client.WriteRawAsync(TestPayloads.Join([.. messages.Select(m => TestPayloads.ClientFrame(m.Item1, m.Item2))]), Ct);

        foreach (var (opcode, payload) in messages)
        {
            await ConformanceAssert.ExpectMessageAsync(client, opcode, payload);
        }

        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Fact]
    public async Task Frame_with_the_most_significant_bit_of_a_64_bit_length_set_fails_with_1002()
    {
        await using var client = await server.ConnectAsync();

        // RFC 6455 section 5.2: "the most significant bit MUST be 0". Header only: the server must not wait for 2^63 bytes.
        byte[] header = [0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44];
        await client.WriteRawAsync(header, Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }
}
