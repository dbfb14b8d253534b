using System.Security.Claims;

namespace WebSocketEcho.Middleware;

/// <summary>The default <see cref="IWebSocketUserIdProvider"/>: the upgrade request's <see cref="ClaimTypes.NameIdentifier"/> claim.</summary>
internal sealed class DefaultUserIdProvider : IWebSocketUserIdProvider
{
    public static readonly DefaultUserIdProvider Instance = new();

    public string? GetUserId(IWebSocketConnection connection) =>
        connection.HttpContext.User.FindFirst(ClaimTypes.NameIdentifier)?.Value;
}
