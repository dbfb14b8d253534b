using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>The expectations every conformance section shares: an echoed message, a failed connection, a clean close.</summary>
internal static class ConformanceAssert
{
    /// <summary>How long a test waits for one frame or for the end of the connection; generous, for a loaded machine.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Reads the next frame and checks it is the server's echo of one whole message: a single final, unmasked frame
    /// without RSV bits, of <paramref name="opcode"/>, carrying exactly <paramref name="payload"/>.
    /// </summary>
    public static async Task<Frame> ExpectMessageAsync(RawWebSocketClient client, byte opcode, ReadOnlyMemory<byte> payload)
    {
        var frame = await client.ReadFrameAsync(Wait, Ct);
        Assert.Equal(opcode, frame.Opcode);
        Assert.True(frame.Fin, $"The echo of a message must be one final frame; got {frame}.");
        Assert.Equal(0, frame.Rsv);
        Assert.False(frame.Masked, "A server must not mask its frames (RFC 6455 section 5.1).");
        Assert.Equal(payload.Length, frame.Payload.Length);
        Assert.True(payload.Span.SequenceEqual(frame.Payload), "The echoed payload differs from the one sent.");
        return frame;
    }

    /// <summary>Reads the next frame and checks it is a pong carrying <paramref name="payload"/>.</summary>
    public static async Task ExpectPongAsync(RawWebSocketClient client, ReadOnlyMemory<byte> payload)
    {
        var frame = await client.ReadFrameAsync(Wait, Ct);
        Assert.Equal(Frame.Pong, frame.Opcode);
        Assert.True(frame.Fin);
        Assert.False(frame.Masked);
        Assert.True(payload.Span.SequenceEqual(frame.Payload), $"The pong must carry the ping's {payload.Length} bytes; it carried {frame.Payload.Length}.");
    }

    /// <summary>
    /// Checks that the server failed the connection with <paramref name="status"/> the way RFC 6455 sections 7.1.7 and
    /// 7.1.1 ask: the next frame is a close frame with that status (no echo, no other frame before it), it arrives
    /// while TCP is still up (a reset that swallowed it fails here), then, after the client answers like an RFC client
    /// (with its own close frame, unless it already sent one), the server sends nothing more and ends TCP with an
    /// orderly FIN rather than a reset.
    /// </summary>
    /// <returns>The server's close frame.</returns>
    public static async Task<Frame> FailsWithAsync(RawWebSocketClient client, int status, bool answerClose = true)
    {
        Frame? frame;
        try
        {
            frame = await client.ReadFrameOrEndAsync(Wait, Ct);
        }
        catch (IOException ex)
        {
            throw new Xunit.Sdk.XunitException($"The connection was reset before a close frame with {status} could be read: {ex.Message}");
        }

        Assert.True(frame is not null, $"The server ended TCP without sending the close frame with {status} first.");
        Assert.True(frame.Opcode == Frame.Close, $"Expected a close frame with {status}; got {frame}.");
        Assert.True(frame.Fin);
        Assert.False(frame.Masked);
        Assert.Equal(status, frame.CloseStatus);

        if (answerClose)
        {
            await client.SendCloseAsync(status, cancellationToken: Ct);
        }

        await ExpectOrderlyEndAsync(client);
        return frame;
    }

    /// <summary>Runs the close handshake from the client side with 1000 and checks the server answers it and then ends TCP cleanly.</summary>
    public static async Task ClosesCleanlyAsync(RawWebSocketClient client)
    {
        await client.SendCloseAsync(1000, "done", Ct);
        await ExpectCloseAnswerAsync(client, 1000);
    }

    /// <summary>
    /// Checks the server's answer to the client's close frame (RFC 6455 section 5.5.1): the next frame is a close frame
    /// with <paramref name="status"/>, and then the server closes TCP cleanly (section 7.1.1).
    /// </summary>
    public static async Task ExpectCloseAnswerAsync(RawWebSocketClient client, int status)
    {
        var frame = await client.ReadFrameAsync(Wait, Ct);
        Assert.True(frame.Opcode == Frame.Close, $"Expected the server's answer to the close frame; got {frame}.");
        Assert.True(frame.Fin);
        Assert.False(frame.Masked);
        Assert.Equal(status, frame.CloseStatus);
        await ExpectOrderlyEndAsync(client);
    }

    /// <summary>Checks the server sends no more bytes and then closes TCP with FIN (not a reset, not left open).</summary>
    public static Task ExpectOrderlyEndAsync(RawWebSocketClient client) => ExpectEndAsync(client, TcpEnd.Fin);

    /// <summary>Checks the server sends no more bytes and then ends TCP the way <paramref name="expected"/> says.</summary>
    public static async Task ExpectEndAsync(RawWebSocketClient client, TcpEnd expected)
    {
        var (end, bytes) = await client.WaitForEndAsync(Wait, Ct);
        Assert.Equal(0, bytes);
        Assert.Equal(expected, end);
    }
}
