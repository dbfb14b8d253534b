using System.Buffers;
using System.Net.WebSockets;
using WebSocketEcho.Benchmarks.Baseline;

namespace WebSocketEcho.Benchmarks.SelfTest;

/// <summary>
/// A deliberately broken echo server loop for the load runner's self-test (<c>--candidate garble</c>): the docs loop's
/// reply (<c>"Received:  " + message</c>), except that one reply in <see cref="Every"/> (counted over the whole
/// process) has its last byte flipped. A connection's first reply is always right, so the garbled replies are the
/// ones only the measured loops see (the connection-opening check and the readiness probe pass). The runner must
/// report every such run as failed and exit with a non-zero code; CI checks that it does.
/// </summary>
internal static class GarblingEchoLoop
{
    /// <summary>One reply in this many (after each connection's first) is garbled.</summary>
    public const int Every = 1000;

    private const int MaxMessage = 64 * 1024;
    private static readonly byte[] s_prefix = System.Text.Encoding.UTF8.GetBytes(DocsEchoLoop.Prefix);
    private static long s_replies;

    public static async Task EchoAsync(WebSocket webSocket, CancellationToken cancellationToken)
    {
        for (var message = 0L; ; message++)
        {
            // Zero-byte wait, as the lean loop does, so idle connections hold no buffer in the memory run.
            var wait = await webSocket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            if (wait.MessageType == WebSocketMessageType.Close)
            {
                await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(s_prefix.Length + MaxMessage);
            try
            {
                s_prefix.CopyTo(buffer, 0);
                var length = s_prefix.Length;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await webSocket.ReceiveAsync(buffer.AsMemory(length, s_prefix.Length + MaxMessage - length), cancellationToken);
                    length += result.Count;
                }
                while (!result.EndOfMessage && length < s_prefix.Length + MaxMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                    return;
                }

                if (message > 0 && Interlocked.Increment(ref s_replies) % Every == 0)
                {
                    // ASCII stays ASCII (valid UTF-8): the reply is well-formed text of the right length, only wrong.
                    buffer[length - 1] ^= 0x01;
                }

                await webSocket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
