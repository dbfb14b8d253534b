using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>Whole messages over a non-browser <see cref="ClientWebSocket"/>, with a bound on every wait.</summary>
internal static class SocketMessages
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    public static Task SendTextAsync(this ClientWebSocket client, string text, CancellationToken cancellationToken) =>
        client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>Receives the next whole message (or the close frame, with its type); fails after 30 s.</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(this ClientWebSocket client, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, timeout.Token);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Receives the next whole message and checks that it is text.</summary>
    public static async Task<string> ReceiveTextAsync(this ClientWebSocket client, CancellationToken cancellationToken)
    {
        var (type, payload) = await client.ReceiveMessageAsync(cancellationToken);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(payload);
    }
}
