using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>One whole message a client <see cref="WebSocket"/> received, or the close frame that ended the stream.</summary>
internal sealed record ReceivedMessage(WebSocketMessageType Type, byte[] Payload, WebSocketCloseStatus? CloseStatus, string? CloseDescription)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public override string ToString() =>
        Type == WebSocketMessageType.Close ? $"Close({(int?)CloseStatus} \"{CloseDescription}\")" : $"{Type}({Payload.Length} bytes)";
}

/// <summary>Whole-message send and receive for the clients tests use (ClientWebSocket and TestHost's in-memory client).</summary>
internal static class WebSocketClientExtensions
{
    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text).AsMemory(), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken).AsTask();

    /// <summary>Receives frames until the end of a message (or a close frame); fails after <paramref name="timeout"/> (default 10 s).</summary>
    public static async Task<ReceivedMessage> ReceiveMessageAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        using var payload = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new ReceivedMessage(WebSocketMessageType.Close, [], socket.CloseStatus, socket.CloseStatusDescription);
            }

            payload.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return new ReceivedMessage(result.MessageType, payload.ToArray(), null, null);
            }
        }
    }

    /// <summary>Receives until the server's close frame arrives, skipping data messages; returns the close.</summary>
    public static async Task<ReceivedMessage> ReceiveCloseAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await socket.ReceiveMessageAsync(timeout);
            if (message.Type == WebSocketMessageType.Close)
            {
                return message;
            }
        }
    }

    /// <summary>Sends a text message and returns the reply's text.</summary>
    public static async Task<string> RoundTripAsync(this WebSocket socket, string text)
    {
        await socket.SendTextAsync(text);
        var reply = await socket.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, reply.Type);
        return reply.Text;
    }
}
