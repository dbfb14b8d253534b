namespace WebSocketEcho.Middleware.Testing;

/// <summary>
/// The app answered a WebSocket upgrade request with an HTTP status other than 101 Switching Protocols: for example
/// 403 for a foreign origin, 401 without credentials, 503 when the endpoint is full, or 404 for a path no endpoint serves.
/// </summary>
/// <remarks>
/// It derives from <see cref="InvalidOperationException"/>, the type TestHost's own WebSocket client throws for a refused
/// handshake, so existing <c>catch</c> blocks and assertions keep working.
/// </remarks>
/// <example>
/// <code>
/// var refused = await Assert.ThrowsAsync&lt;WebSocketHandshakeRefusedException&gt;(
///     () => server.ConnectWebSocketAsync("/chat", o => o.Headers.Origin = "https://evil.example"));
/// Assert.Equal(403, refused.StatusCode);
/// </code>
/// </example>
public sealed class WebSocketHandshakeRefusedException : InvalidOperationException
{
    /// <summary>Creates the exception for a refused handshake.</summary>
    /// <param name="path">The path (and query) the client asked for.</param>
    /// <param name="statusCode">The HTTP status the app answered with.</param>
    /// <param name="innerException">TestHost's own exception, if any.</param>
    public WebSocketHandshakeRefusedException(string path, int statusCode, Exception? innerException = null)
        : base($"The WebSocket handshake on {path} was refused with HTTP {statusCode} instead of 101 Switching Protocols.", innerException)
    {
        Path = path;
        StatusCode = statusCode;
    }

    /// <summary>Gets the path (and query) the client asked for.</summary>
    public string Path { get; }

    /// <summary>Gets the HTTP status the app answered with, for example 403.</summary>
    public int StatusCode { get; }
}
