using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 9 (Limits/Performance), here as the middleware's limits: a message over MaxMessageSize,
/// in one frame or in many fragments, and a message of more than MaxFragmentsPerMessage fragments (also empty ones,
/// and however the frames fall against the receive buffer) fail the connection with 1009 (RFC 6455 section 7.4.1);
/// messages at the limit are echoed.
/// </summary>
public sealed class LimitsTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private const int MaxSize = ConformanceServer.SmallMaxMessageSize;
    private const int MaxFragments = ConformanceServer.SmallMaxFragments;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Frame.Text, 1)]
    [InlineData(Frame.Binary, 1)]
    [InlineData(Frame.Binary, 4)]
    [InlineData(Frame.Text, 64)]
    public async Task Message_of_exactly_MaxMessageSize_in_F_fragments_is_echoed(byte opcode, int fragments)
    {
        await using var client = await server.ConnectAsync(ConformanceServer.SizeLimitedPath);
        var payload = TestPayloads.For(opcode, MaxSize);

        await client.WriteRawAsync(Split(opcode, payload, fragments), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, opcode, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(Frame.Text, 1, 1)]
    [InlineData(Frame.Binary, 1, 1)]
    [InlineData(Frame.Binary, 1, 100_000)]
    [InlineData(Frame.Text, 41, 1)]
    [InlineData(Frame.Binary, 1000, 1)]
    public async Task Message_over_MaxMessageSize_by_B_bytes_in_F_fragments_fails_with_1009(byte opcode, int fragments, int excess)
    {
        await using var client = await server.ConnectAsync(ConformanceServer.SizeLimitedPath);

        await client.WriteRawAsync(Split(opcode, TestPayloads.For(opcode, MaxSize + excess), fragments), Ct);

        await ConformanceAssert.FailsWithAsync(client, 1009);
    }

    [Fact]
    public async Task Frame_announcing_a_terabyte_fails_with_1009_once_MaxMessageSize_bytes_arrived()
    {
        await using var client = await server.ConnectAsync(ConformanceServer.SizeLimitedPath);

        // A 64-bit length of 2^40 and only MaxMessageSize + 1 bytes of it: the server must not wait for the rest.
        byte[] header = [0x82, 0x80 | 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        await client.WriteRawAsync(TestPayloads.Join(header, new byte[MaxSize + 1]), Ct);

        // The client cannot answer: any close frame it sent now would be read as more of the announced terabyte. The
        // server does not wait for one: it lingers until the client goes quiet and ends TCP with a FIN
        // (FailedConnectionEndTests measures how soon).
        await ConformanceAssert.FailsWithAsync(client, 1009, answerClose: false);
    }

    [Theory]
    [InlineData(Frame.Text, false)]
    [InlineData(Frame.Binary, true)]
    public async Task Message_of_exactly_MaxFragmentsPerMessage_fragments_is_echoed(byte opcode, bool emptyFragments)
    {
        await using var client = await server.ConnectAsync(ConformanceServer.FragmentLimitedPath);

        var (wire, payload) = Fragments(opcode, MaxFragments, emptyFragments);
        await client.WriteRawAsync(wire, Ct);

        await ConformanceAssert.ExpectMessageAsync(client, opcode, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(Frame.Text, MaxFragments + 1, false)]
    [InlineData(Frame.Binary, MaxFragments + 2, true)]
    [InlineData(Frame.Text, 10_000, true)]
    public async Task Message_of_N_fragments_over_MaxFragmentsPerMessage_fails_with_1009(byte opcode, int fragments, bool emptyFragments)
    {
        await using var client = await server.ConnectAsync(ConformanceServer.FragmentLimitedPath);

        await client.WriteRawAsync(Fragments(opcode, fragments, emptyFragments).Wire, Ct);

        await ConformanceAssert.FailsWithAsync(client, 1009);
    }

    /// <summary>
    /// The fragment limit is exact, however the frames fall: MaxFragmentsPerMessage frames are echoed and one more is
    /// refused with 1009, also where the platform's receive results cannot tell where a frame ended: an empty first
    /// fragment (consumed by the zero-byte receive that waits for the message), fragments that end exactly where the
    /// 4 KiB receive buffer, and each doubled buffer after it, fills, empty fragments, and all of these mixed.
    /// </summary>
    [Theory]
    [MemberData(nameof(FragmentShapes))]
    public async Task MaxFragmentsPerMessage_is_exact_for_fragments_the_receive_results_cannot_see(string shape, int frames)
    {
        var sizes = FrameSizes(shape, frames);
        Assert.Equal(frames, sizes.Length);
        var payload = TestPayloads.Binary(sizes.Sum());
        var cuts = sizes[..^1].Select((_, i) => sizes[..(i + 1)].Sum()).ToArray();
        await using var client = await server.ConnectAsync(ConformanceServer.FragmentLimitedPath);

        await client.WriteRawAsync(TestPayloads.Fragmented(Frame.Binary, payload, cuts), Ct);

        if (frames <= MaxFragments)
        {
            await ConformanceAssert.ExpectMessageAsync(client, Frame.Binary, payload);
            await ConformanceAssert.ClosesCleanlyAsync(client);
        }
        else
        {
            Assert.Equal("Too many fragments", (await ConformanceAssert.FailsWithAsync(client, 1009)).CloseReason);
        }
    }

    public static TheoryData<string, int> FragmentShapes()
    {
        var shapes = new TheoryData<string, int>();
        foreach (var shape in new[] { "empty first", "empty but the last", "ending at buffer edges", "empty between buffer edges", "empty first, every buffer edge up to MaxMessageSize, then empty" })
        {
            shapes.Add(shape, MaxFragments);
            shapes.Add(shape, MaxFragments + 1);
        }

        return shapes;
    }
    [Fact]
    public async Task Endless_stream_of_empty_fragments_fails_with_1009_without_a_final_frame()
    {
        await using var client = await server.ConnectAsync(ConformanceServer.FragmentLimitedPath);

        var empty = TestPayloads.ClientFrame(Frame.Continuation, [], fin: false);
        await client.WriteRawAsync(TestPayloads.Join([TestPayloads.ClientFrame(Frame.Binary, [], fin: false), .. Enumerable.Repeat(empty, 2 * MaxFragments)]), Ct);

        await ConformanceAssert.FailsWithAsync(client, 1009);
    }

    /// <summary>
    /// The payload sizes of a message of <paramref name="frames"/> frames shaped as <paramref name="shape"/> says. The
    /// fragment-limited endpoint receives into a 4 KiB buffer that doubles when full (4, 8, 16 KiB...) up to 1 MiB, so
    /// cumulative sizes of 4, 8, 16 KiB... end a frame exactly where the buffer fills.
    /// </summary>
    private static int[] FrameSizes(string shape, int frames)
    {
        const int Buffer = 4096;
        int[] edges = [Buffer, Buffer, .. Enumerable.Range(1, 7).Select(i => Buffer << i)]; // ends at 4, 8, 16 KiB ... 1 MiB = MaxMessageSize
        return shape switch
        {
            "empty first" => [0, .. Enumerable.Repeat(3, frames - 1)],
            "empty but the last" => [.. Enumerable.Repeat(0, frames - 1), 1],
            "ending at buffer edges" => [.. edges[..4], .. Enumerable.Repeat(3, frames - 4)],
            "empty between buffer edges" => [edges[0], 0, edges[1], 0, edges[2], 0, edges[3], .. Enumerable.Repeat(0, frames - 8), 5],
            "empty first, every buffer edge up to MaxMessageSize, then empty" => [0, .. edges, .. Enumerable.Repeat(0, frames - 1 - edges.Length)],
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "Unknown shape."),
        };
    }

    /// <summary>
    /// A message of <paramref name="count"/> frames: with <paramref name="empty"/>, every frame but the last is empty
    /// (the last carries one byte), otherwise each carries 3 bytes.
    /// </summary>
    private static (byte[] Wire, byte[] Payload) Fragments(byte opcode, int count, bool empty)
    {
        var payload = TestPayloads.For(opcode, empty ? 1 : 3 * count);
        var cuts = Enumerable.Range(1, count - 1).Select(i => empty ? 0 : 3 * i).ToArray();
        return (TestPayloads.Fragmented(opcode, payload, cuts), payload);
    }

    private static byte[] Split(byte opcode, byte[] payload, int fragments)
    {
        var size = (payload.Length + fragments - 1) / fragments;
        return TestPayloads.Fragmented(opcode, payload, [.. Enumerable.Range(1, fragments - 1).Select(i => Math.Min(i * size, payload.Length))]);
    }
}
