using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Benchmarks.Baseline;

/// <summary>
/// The baseline: the receive loop as the ASP.NET Core WebSockets documentation writes it, with the chapter's reply.
/// A 4 KiB buffer per connection, each message assembled in a <see cref="MemoryStream"/>, decoded to a string,
/// concatenated with the prefix and encoded again. Written the plain way on purpose: it is what the middleware is
/// measured against.
/// </summary>
internal static class DocsEchoLoop
{
    public const string Prefix = "Received:  ";

    public static async Task EchoAsync(WebSocket webSocket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024 * 4];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await webSocket.ReceiveAsync(new ArraySegment<byte>(buffer), cancellationToken);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await webSocket.CloseAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, result.CloseStatusDescription, cancellationToken);
                return;
            }

            var text = Encoding.UTF8.GetString(message.ToArray());
            var reply = Encoding.UTF8.GetBytes(Prefix + text);
            await webSocket.SendAsync(new ArraySegment<byte>(reply), WebSocketMessageType.Text, true, cancellationToken);
        }
    }
}
