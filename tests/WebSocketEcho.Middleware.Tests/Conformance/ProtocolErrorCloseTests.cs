using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// RFC 6455 sections 7.1.1 and 7.1.7 across every kind of failure: the close frame carrying the code must reach the
/// client before the TCP connection ends, even when the client goes on sending after the offending frame. A server
/// that closed its socket with those bytes unread would send a TCP reset, which can destroy the close frame before
/// the client reads it; the middleware drains them first (a lingering close), so the connection ends with a FIN.
/// </summary>
public sealed class ProtocolErrorCloseTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, int> Failures() => new()
    {
        { "RSV1 without extension", ConformanceServer.EchoPath, 1002 },
        { "reserved opcode 3", ConformanceServer.EchoPath, 1002 },
        { "reserved opcode 11", ConformanceServer.EchoPath, 1002 },
        { "continuation without start", ConformanceServer.EchoPath, 1002 },
        { "new message inside a message", ConformanceServer.EchoPath, 1002 },
        { "ping of 126 bytes", ConformanceServer.EchoPath, 1002 },
        { "fragmented ping", ConformanceServer.EchoPath, 1002 },
        { "64-bit length with the top bit set", ConformanceServer.EchoPath, 1002 },
        { "invalid UTF-8", ConformanceServer.EchoPath, 1007 },
        { "truncated UTF-8 at the end", ConformanceServer.EchoPath, 1007 },
        { "message too big", ConformanceServer.SizeLimitedPath, 1009 },
        { "too many fragments", ConformanceServer.FragmentLimitedPath, 1009 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Close_frame_reaches_the_client_before_TCP_ends_although_the_client_keeps_sending(string failure, string path, int status)
    {
        await using var client = await server.ConnectAsync(path);

        // The offending frame and 200 KB of well-formed messages behind it, in one write: they are all on their way
        // (or already in the server's socket buffer) when the server fails the connection.
        var trailing = Enumerable.Repeat(TestPayloads.ClientFrame(Frame.Binary, TestPayloads.Binary(1000)), 200);
        await client.WriteRawAsync(TestPayloads.Join([Offending(failure), .. trailing]), Ct);

        await ConformanceAssert.FailsWithAsync(client, status);
    }

    /// <summary>
    /// A client that neither answers the close frame nor closes. Whether the platform (1002, 1007) or the middleware
    /// (1009) failed the connection, the server does not wait CloseTimeout for an answer: it lingers until the client
    /// goes quiet and then closes TCP with a FIN.
    /// </summary>
    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Close_frame_reaches_a_client_that_never_answers_it_and_TCP_then_ends(string failure, string path, int status)
    {
        await using var client = await server.ConnectAsync(path);

        await client.WriteRawAsync(Offending(failure), Ct);

        await ConformanceAssert.FailsWithAsync(client, status, answerClose: false);
    }

    private static byte[] Offending(string failure) => failure switch
    {
        "RSV1 without extension" => TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("x"), rsv: 4),
        "reserved opcode 3" => TestPayloads.ClientFrame(3, TestPayloads.Utf8("x")),
        "reserved opcode 11" => TestPayloads.ClientFrame(11, TestPayloads.Utf8("x")),
        "continuation without start" => TestPayloads.ClientFrame(Frame.Continuation, TestPayloads.Utf8("x")),
        "new message inside a message" => TestPayloads.Join(
            TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("a"), fin: false), TestPayloads.ClientFrame(Frame.Text, TestPayloads.Utf8("b"))),
        "ping of 126 bytes" => TestPayloads.ClientFrame(Frame.Ping, TestPayloads.Binary(126)),
        "fragmented ping" => TestPayloads.ClientFrame(Frame.Ping, TestPayloads.Utf8("x"), fin: false),
        "64-bit length with the top bit set" => [0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4],
        "invalid UTF-8" => TestPayloads.ClientFrame(Frame.Text, TestPayloads.Hex("6F6B C0AF")),
        "truncated UTF-8 at the end" => TestPayloads.ClientFrame(Frame.Text, TestPayloads.Hex("6F6B E282")),
        "message too big" => TestPayloads.ClientFrame(Frame.Binary, TestPayloads.Binary(ConformanceServer.SmallMaxMessageSize + 1)),
        "too many fragments" => TestPayloads.Fragmented(Frame.Binary, TestPayloads.Binary(ConformanceServer.SmallMaxFragments + 1), [.. Enumerable.Range(1, ConformanceServer.SmallMaxFragments)]),
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, "Unknown failure."),
    };
}
