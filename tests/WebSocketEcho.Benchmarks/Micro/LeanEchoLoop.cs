using System.Buffers;
using System.Net.WebSockets;
using WebSocketEcho.Benchmarks.Baseline;

namespace WebSocketEcho.Benchmarks.Micro;

/// <summary>
/// The floor for the per-message benchmark: the least a loop on the platform's WebSocket can do (zero-byte receive,
/// pooled buffer, prefix copied in bytes, no limits, no locks). Whatever it allocates is the platform's.
/// </summary>
internal static class LeanEchoLoop
{
    private static readonly byte[] s_prefix = System.Text.Encoding.UTF8.GetBytes(DocsEchoLoop.Prefix);

    /// <param name="webSocket">The server side of the connection.</param>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <param name="zeroByteWait">
    /// True (the default): wait for each message with a zero-byte receive, so an idle connection holds no buffer.
    /// False: keep a pooled buffer and receive straight into it (one platform receive per message instead of two, at
    /// the price of a buffer per idle connection); the load runner's <c>--candidate lean-direct</c> measures that trade.
    /// </param>
    public static async Task EchoAsync(WebSocket webSocket, CancellationToken cancellationToken, bool zeroByteWait = true)
    {
        byte[]? held = zeroByteWait ? null : ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var buffer = held;
                if (buffer is null)
                {
                    var wait = await webSocket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
                    if (wait.MessageType == WebSocketMessageType.Close)
                    {
                        await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                        return;
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
                }

                try
                {
                    s_prefix.CopyTo(buffer, 0);
                    var length = s_prefix.Length;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await webSocket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                        length += result.Count;
                    }
                    while (!result.EndOfMessage);

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                        return;
                    }

                    await webSocket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                }
                finally
                {
                    if (held is null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
        }
        finally
        {
            if (held is not null)
            {
                ArrayPool<byte>.Shared.Return(held);
            }
        }
    }
}
