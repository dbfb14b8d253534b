namespace WebSocketEcho.Middleware;

/// <summary>
/// Options for one WebSocket endpoint. Every limit is on by default; invalid values are rejected at startup with
/// an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> that names the option and its allowed range.
/// </summary>
public sealed class WebSocketHandlerOptions
{
    /// <summary>The default <see cref="ReceiveBufferSize"/>: 4 KiB.</summary>
    public const int DefaultReceiveBufferSize = 4 * 1024;

    /// <summary>The default <see cref="MaxMessageSize"/>: 1 MiB.</summary>
    public const int DefaultMaxMessageSize = 1024 * 1024;

    /// <summary>
    /// Gets or sets the size in bytes of the pooled buffer a message is first received into (default 4096).
    /// A longer message grows the buffer by doubling, up to <see cref="MaxMessageSize"/>. Range: 1 to 16 MiB,
    /// and at most <see cref="MaxMessageSize"/>.
    /// </summary>
    public int ReceiveBufferSize { get; set; } = DefaultReceiveBufferSize;

    /// <summary>
    /// Gets or sets the largest message, in bytes after decompression, the peer may send (default 1 MiB).
    /// A bigger message closes the connection with 1009 (Message Too Big). Range: <see cref="ReceiveBufferSize"/> to 1 GiB.
    /// </summary>
    public int MaxMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>
    /// Gets or sets the most frames one message may be split into (default 4096), so that a stream of tiny or
    /// empty fragments cannot cost unbounded CPU. More closes the connection with 1009 (Message Too Big). Range: 1 or more.
    /// The limit is exact: a message of this many frames is delivered, and one frame more is refused as soon as that
    /// frame's header arrives, whatever the frames' sizes (empty ones count; control frames do not). The middleware
    /// counts the frame headers in the connection's byte stream; on a server that brings its own WebSocket instead
    /// (such as TestHost) it can only count the frame ends its receive calls show (see docs/limits-fragments.md).
    /// </summary>
    public int MaxFragmentsPerMessage { get; set; } = 4096;

    /// <summary>
    /// Gets or sets how often the server pings the peer (default 30 seconds).
    /// <see cref="TimeSpan.Zero"/> or <see cref="Timeout.InfiniteTimeSpan"/> turns keep-alive pings off.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long the server waits for the pong that answers a keep-alive ping before it drops the
    /// connection as dead (default 30 seconds). <see cref="Timeout.InfiniteTimeSpan"/> sends unsolicited pongs
    /// instead and never drops the peer. Must be positive or infinite.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long the peer may stay silent (no data message) before the server closes the connection
    /// with 1001 (Going Away). Off by default (<see cref="Timeout.InfiniteTimeSpan"/>): many clients legitimately only
    /// listen, and keep-alive already drops dead peers. Must be positive or infinite.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Gets or sets how long the server waits for the peer's close frame after sending its own, before it
    /// aborts the connection (default 5 seconds). Range: more than zero, at most 10 minutes.
    /// When the server fails the connection because the peer broke the protocol or a limit (1002, 1007, 1008, 1009),
    /// it does not wait for a close frame that may never come (it can sit inside a frame the peer declared and never
    /// finished): it reads and discards what the peer still sends until the peer's close frame has gone by, the peer
    /// is quiet for 250 ms or closes, or this timeout has passed, then closes TCP.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long one send may take before the peer is considered too slow and the connection is closed
    /// with 1008 (Policy Violation) (default 30 seconds). Must be positive or infinite.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the most bytes that may wait to be sent on one connection (default 1 MiB). A send that would
    /// exceed it while others are still waiting closes the connection with 1008 (Policy Violation) instead of
    /// growing memory; a single send is always admitted when nothing else is waiting. Range: 1 or more.
    /// </summary>
    public long MaxPendingSendBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets or sets the most connections this endpoint holds open at once (default 10,000). Further upgrade
    /// requests are refused with 503 before the upgrade. <see langword="null"/> means no limit. Range: 1 or more.
    /// </summary>
    public int? MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// Gets the origins, besides the request's own, that browsers may connect from, as <c>scheme://host[:port]</c>
    /// (matched on scheme, host case-insensitively, and port). Empty by default: only same-origin browser requests
    /// are accepted and a foreign <c>Origin</c> gets 403, which prevents cross-site WebSocket hijacking. Requests
    /// without an <c>Origin</c> header (non-browser clients) are always allowed. <c>"*"</c> allows every origin.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = new List<string>();

    /// <summary>
    /// Gets the subprotocols the server supports, in order of preference. The first one the client also offers
    /// in <c>Sec-WebSocket-Protocol</c> is selected; when none matches, the connection is accepted without one.
    /// </summary>
    public IList<string> SubProtocols { get; } = new List<string>();

    /// <summary>
    /// Gets or sets a value indicating whether permessage-deflate compression is negotiated when the client offers it.
    /// Off by default: compressing secrets together with attacker-influenced data over TLS leaks them
    /// (CRIME/BREACH-style attacks). Turn it on only when messages never mix the two.
    /// </summary>
    public bool EnableCompression { get; set; }

    internal WebSocketHandlerOptions Clone()
    {
        var copy = new WebSocketHandlerOptions
        {
            ReceiveBufferSize = ReceiveBufferSize,
            MaxMessageSize = MaxMessageSize,
            MaxFragmentsPerMessage = MaxFragmentsPerMessage,
            KeepAliveInterval = KeepAliveInterval,
            KeepAliveTimeout = KeepAliveTimeout,
            IdleTimeout = IdleTimeout,
            CloseTimeout = CloseTimeout,
            SendTimeout = SendTimeout,
            MaxPendingSendBytes = MaxPendingSendBytes,
            MaxConnections = MaxConnections,
            EnableCompression = EnableCompression,
        };
        foreach (var origin in AllowedOrigins)
        {
            copy.AllowedOrigins.Add(origin);
        }

        foreach (var protocol in SubProtocols)
        {
            copy.SubProtocols.Add(protocol);
        }

        return copy;
    }
}
