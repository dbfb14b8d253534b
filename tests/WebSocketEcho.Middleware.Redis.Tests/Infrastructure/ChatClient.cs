using System.Net.WebSockets;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

/// <summary>A client connected to a test app's chat endpoint, with the connection id the server gave it.</summary>
internal sealed class ChatClient(ClientWebSocket socket, string id, string name) : IDisposable
{
    public ClientWebSocket Socket { get; } = socket;

    public string Id { get; } = id;

    public string Name { get; } = name;

    public async Task<string> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        var message = await Socket.ReceiveMessageAsync(timeout);
        Assert.True(message.Type == WebSocketMessageType.Text, $"{Name} expected a text message, got {message}.");
        return message.Text;
    }

    /// <summary>Receives texts until <paramref name="last"/> arrives; returns everything before it, in order.</summary>
    public async Task<List<string>> ReceiveUntilAsync(string last, TimeSpan? timeout = null)
    {
        var received = new List<string>();
        while (true)
        {
            var text = await ReceiveTextAsync(timeout);
            if (text == last)
            {
                return received;
            }

            received.Add(text);
        }
    }

    /// <summary>
    /// Receives texts until every one of <paramref name="markers"/> arrived (one per publisher: order is kept per
    /// publisher, not across them); returns the others, sorted, so messages from two publishers compare as a set.
    /// </summary>
    public async Task<List<string>> ReceiveFromAllUntilAsync(params string[] markers)
    {
        var waiting = new HashSet<string>(markers);
        var received = new List<string>();
        while (waiting.Count > 0)
        {
            var text = await ReceiveTextAsync();
            if (!waiting.Remove(text))
            {
                received.Add(text);
            }
        }

        received.Sort(StringComparer.Ordinal);
        return received;
    }

    public Task SendTextAsync(string text) => Socket.SendTextAsync(text, TestContext.Current.CancellationToken);

    public void Dispose() => Socket.Dispose();
}
