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

/// <summary>Whole-message send and receive for the clients tests use (ClientWebSocket and TestHost's in-memory client), bounded in time.</summary>
internal static class WebSocketClientExtensions
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(15);

    public static Task SendTextAsync(this WebSocket socket, string text, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    public static Task SendBinaryAsync(this WebSocket socket, byte[] data, CancellationToken cancellationToken) =>
        socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);

    /// <summary>Receives frames until the end of a message (or a close frame); throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static Task<ReceivedMessage> ReceiveMessageAsync(this WebSocket socket, TimeSpan? timeout = null) =>
        socket.ReceiveMessageAsync(TestContext.Current.CancellationToken, timeout);

    /// <summary>Receives one whole message, or the peer's close; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<ReceivedMessage> ReceiveMessageAsync(this WebSocket socket, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var limit = timeout ?? s_defaultTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(limit);
        using var payload = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
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
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No whole message within {limit}.");
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

    /// <summary>Receives one whole text message and returns its text.</summary>
    public static async Task<string> ReceiveTextAsync(this WebSocket socket, CancellationToken cancellationToken)
    {
        var message = await socket.ReceiveMessageAsync(cancellationToken);
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        return message.Text;
    }

    /// <summary>Sends <paramref name="text"/> and returns the text of the reply.</summary>
    public static async Task<string> EchoAsync(this WebSocket socket, string text, CancellationToken cancellationToken)
    {
        await socket.SendTextAsync(text, cancellationToken);
        return await socket.ReceiveTextAsync(cancellationToken);
    }

    /// <summary>Sends a text message and returns the reply's text.</summary>
    public static Task<string> RoundTripAsync(this WebSocket socket, string text) =>
        socket.EchoAsync(text, TestContext.Current.CancellationToken);
}
