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

    public static async Task EchoAsync(WebSocket webSocket, CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = await webSocket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            if (wait.MessageType == WebSocketMessageType.Close)
            {
                await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
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

                await webSocket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
