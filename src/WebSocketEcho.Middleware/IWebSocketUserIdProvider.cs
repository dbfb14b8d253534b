namespace WebSocketEcho.Middleware;

/// <summary>
/// Tells which user a connection belongs to, for <see cref="IWebSocketPush.User"/>. It is asked once per connection, when
/// it opens (before <see cref="IMessageHandler.OnConnectedAsync"/>). The default returns the upgrade request's
/// <c>ClaimTypes.NameIdentifier</c> claim, as SignalR's does; register your own as a singleton to replace it:
/// <c>services.AddSingleton&lt;IWebSocketUserIdProvider, MyUserIdProvider&gt;()</c>.
/// </summary>
public interface IWebSocketUserIdProvider
{
    /// <summary>Gets the user id of a connection that is opening.</summary>
    /// <param name="connection">The connection; its <see cref="IWebSocketConnection.HttpContext"/> is the upgrade request.</param>
    /// <returns>The user id, or <see langword="null"/> (or empty) when the connection belongs to no user.</returns>
    string? GetUserId(IWebSocketConnection connection);
}
