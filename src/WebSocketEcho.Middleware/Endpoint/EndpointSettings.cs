namespace WebSocketEcho.Middleware;

/// <summary>An endpoint's validated options, frozen at startup in the form the hot paths use.</summary>
internal sealed class EndpointSettings
{
    public const long Off = -1;

    public EndpointSettings(WebSocketHandlerOptions options)
    {
        ReceiveBufferSize = options.ReceiveBufferSize;
        MaxMessageSize = options.MaxMessageSize;
        MaxFragmentsPerMessage = options.MaxFragmentsPerMessage;
        KeepAliveEnabled = options.KeepAliveInterval > TimeSpan.Zero;
        KeepAliveInterval = KeepAliveEnabled ? options.KeepAliveInterval : Timeout.InfiniteTimeSpan;
        KeepAliveTimeout = options.KeepAliveTimeout;
        IdleTimeout = options.IdleTimeout;
        CloseTimeout = options.CloseTimeout;
        SendTimeout = options.SendTimeout;
        IdleTimeoutMs = Milliseconds(options.IdleTimeout);
        CloseTimeoutMs = Milliseconds(options.CloseTimeout);
        SendTimeoutMs = Milliseconds(options.SendTimeout);
        MaxPendingSendBytes = options.MaxPendingSendBytes;
        MaxConnections = options.MaxConnections ?? int.MaxValue;
        Origins = new OriginPolicy(options.AllowedOrigins);
        SubProtocols = [.. options.SubProtocols];
        EnableCompression = options.EnableCompression;

        // The heartbeat that enforces the idle, send and close timeouts ticks at a quarter of the shortest one,
        // between 10 ms and 1 s, so each fires at most 25% late.
        var shortest = new[] { IdleTimeoutMs, SendTimeoutMs, CloseTimeoutMs }.Where(t => t != Off).Min();
        HeartbeatPeriod = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 10, 1000));
    }

    public int ReceiveBufferSize { get; }

    public int MaxMessageSize { get; }

    public int MaxFragmentsPerMessage { get; }

    public bool KeepAliveEnabled { get; }

    public TimeSpan KeepAliveInterval { get; }

    public TimeSpan KeepAliveTimeout { get; }

    public TimeSpan IdleTimeout { get; }

    public TimeSpan CloseTimeout { get; }

    public TimeSpan SendTimeout { get; }

    /// <summary>Gets the idle timeout in milliseconds, or <see cref="Off"/>.</summary>
    public long IdleTimeoutMs { get; }

    public long CloseTimeoutMs { get; }

    /// <summary>Gets the send timeout in milliseconds, or <see cref="Off"/>.</summary>
    public long SendTimeoutMs { get; }

    public long MaxPendingSendBytes { get; }

    public int MaxConnections { get; }

    public OriginPolicy Origins { get; }

    public string[] SubProtocols { get; }

    public bool EnableCompression { get; }

    public TimeSpan HeartbeatPeriod { get; }

    private static long Milliseconds(TimeSpan value) =>
        value == Timeout.InfiniteTimeSpan ? Off : Math.Max(1, (long)value.TotalMilliseconds);
}
