using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Middleware.Testing;

/// <summary>
/// How <see cref="TestServerWebSocketExtensions.ConnectWebSocketAsync"/> makes the upgrade request: its headers,
/// cookies, offered subprotocols and query, and how long the client waits for anything.
/// </summary>
/// <example>
/// <code>
/// await using var client = await server.ConnectWebSocketAsync("/chat", o =>
/// {
///     o.Headers.Origin = "https://app.example.com";
///     o.Cookies["session"] = "abc";
///     o.SubProtocols.Add("chat.v2");
///     o.Query["room"] = "blue";
/// });
/// </code>
/// </example>
public sealed class WebSocketTestClientOptions
{
    /// <summary>The default <see cref="Timeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private TimeSpan _timeout = DefaultTimeout;

    /// <summary>
    /// Gets the request headers to send with the upgrade request, for example <c>Origin</c>, <c>Authorization</c>
    /// or <c>Cookie</c>. The WebSocket headers themselves (<c>Upgrade</c>, <c>Sec-WebSocket-Key</c>...) are set by TestHost.
    /// </summary>
    public IHeaderDictionary Headers { get; } = new HeaderDictionary();

    /// <summary>Gets cookies to send, by name; they are added to the <c>Cookie</c> header.</summary>
    public IDictionary<string, string> Cookies { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets the subprotocols to offer in <c>Sec-WebSocket-Protocol</c>, in order of preference.</summary>
    public IList<string> SubProtocols { get; } = [];

    /// <summary>Gets query parameters to add (escaped) to the path's own query string.</summary>
    public IDictionary<string, string?> Query { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets how long the client waits for the handshake, for each message and for a close, before it fails
    /// with a <see cref="TimeoutException"/> that names the path and the connection state. The default is 5 seconds;
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits forever (for a debugging session).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative (and not infinite).</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        set => _timeout = TimeoutRule.Validate(value);
    }
}
