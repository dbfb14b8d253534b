using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 5 (Fragmentation), RFC 6455 sections 5.4 and 5.5: fragments are assembled into one
/// message, control frames may come between them, empty fragments are fine, and a continuation without a start or a
/// new data frame inside an open message fails the connection with 1002.
/// </summary>
public sealed class FragmentationTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Frame.Text, 2, 1)]
    [InlineData(Frame.Binary, 2, 1)]
    [InlineData(Frame.Text, 3, 0)]
    [InlineData(Frame.Binary, 10, 0)]
    [InlineData(Frame.Text, 1000, 0)]
    [InlineData(Frame.Binary, 4096, 0)]
    [InlineData(Frame.Text, 20, 3)]
    public async Task Message_in_N_fragments_written_in_pieces_of_C_bytes_is_echoed_as_one_message(byte opcode, int fragments, int chunkSize)
    {
        await using var client = await server.ConnectAsync();
        var payload = TestPayloads.For(opcode, fragments * 5);
        var wire = TestPayloads.Fragmented(opcode, payload, [.. Enumerable.Range(1, fragments - 1).Select(i => i * 5)]);

        await (chunkSize == 0 ? client.WriteRawAsync(wire, Ct) : client.WriteChunkedAsync(wire, chunkSize, Ct));

        await ConformanceAssert.ExpectMessageAsync(client, opcode, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Ping_and_pong_between_fragments_are_handled_and_the_message_is_assembled(int chunkSize)
    {
        await using var client = await server.ConnectAsync();
        var ping = TestPayloads.Utf8("ping in the middle");
        var wire = TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("frag"), fin: false),
            TestPayloads.ClientFrame(Frame.Ping, ping),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8("men"), fin: false),
            TestPayloads.ClientFrame(Frame.Pong, TestPayloads.Utf8("unsolicited")),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8("ted")));

        await (chunkSize == 0 ? client.WriteRawAsync(wire, Ct) : client.WriteChunkedAsync(wire, chunkSize, Ct));

        // The pong goes out as soon as the ping is read, before the message is complete.
        await ConformanceAssert.ExpectPongAsync(client, ping);
        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, TestPayloads.Utf8("fragmented"));
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData("", "abc", "")]
    [InlineData("", "", "")]
    [InlineData("abc", "", "")]
    [InlineData("", "", "abc")]
    [InlineData("a", "", "b")]
    public async Task Message_with_empty_fragments_is_echoed(string first, string middle, string last)
    {
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8(first), fin: false),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8(middle), fin: false),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8(last))), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, TestPayloads.Utf8(first + middle + last));
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Continuation_without_a_started_message_fails_with_1002(bool fin)
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(Frame.Continuation, TestPayloads.Utf8("orphan"), fin: fin, cancellationToken: Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Fact]
    public async Task Continuation_after_a_finished_message_fails_with_1002_after_the_echo()
    {
        await using var client = await server.ConnectAsync();
        var message = TestPayloads.Utf8("complete");

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, message),
            TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8("late"))), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, message);
        await ConformanceAssert.FailsWithAsync(client, 1002);
    }

    [Theory]
    [InlineData(Frame.Text, Frame.Text, true)]
    [InlineData(Frame.Text, Frame.Binary, true)]
    [InlineData(Frame.Binary, Frame.Text, false)]
    [InlineData(Frame.Binary, Frame.Binary, false)]
    public async Task New_data_frame_inside_an_open_message_fails_with_1002(byte open, byte intruder, bool intruderFin)
    {
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(TestPayloads.Join(
            TestPayloads.ClientFrame(open, TestPayloads.Utf8("open"), fin: false),
            TestPayloads.ClientFrame(intruder, TestPayloads.Utf8("intruder"), fin: intruderFin)), Ct);

        await ConformanceAssert.FailsWithAsync(client, 1002);
    }
}
