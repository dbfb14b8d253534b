using System.Collections.Concurrent;
using System.Net.WebSockets;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>
/// The chat handler of the README's "Write your own handler" section, copied verbatim as test code: the handler the
/// docs/testing.md example tests (the packaging tests compile this file, namespace line removed, with that example).
/// The example only connects, sends and receives, so it stays true when the chat handler moves to a push/groups API.
/// </summary>
public sealed class ChatHandler : IMessageHandler
{
    private readonly ConcurrentDictionary<string, IWebSocketConnection> _members = new();

    public ValueTask OnConnectedAsync(IWebSocketConnection connection)
    {
        _members[connection.Id] = connection;
        return ValueTask.CompletedTask;
    }

    public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
    {
        if (!message.IsText)
        {
            await connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "Text only");
            return;
        }

        var line = $"{connection.HttpContext.User.Identity?.Name ?? "anonymous"}: {message.GetText()}";
        // All members at once: the room goes at the pace of its slowest reader, and one that stops reading is
        // cut off after SendTimeout (see "Limits and bad input").
        await Task.WhenAll(_members.Values.Select(member => SendAsync(member, line)));
    }

    private static async Task SendAsync(IWebSocketConnection member, string line)
    {
        try { await member.SendTextAsync(line); }
        catch (WebSocketException) { /* that member is gone or too slow; it is being closed */ }
    }

    public ValueTask OnDisconnectedAsync(IWebSocketConnection connection, DisconnectInfo disconnect)
    {
        _members.TryRemove(connection.Id, out _);
        return ValueTask.CompletedTask;
    }
}
