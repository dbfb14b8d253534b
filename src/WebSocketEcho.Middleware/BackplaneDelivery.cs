namespace WebSocketEcho.Middleware;

/// <summary>What the backplane did with a pushed message (see <see cref="PushResult.Backplane"/>).</summary>
public enum BackplaneDelivery
{
    /// <summary>No other instance had to be told: no backplane is configured, or the target was a connection on this instance.</summary>
    None = 0,

    /// <summary>The message was handed to the backplane for the other instances.</summary>
    Published = 1,

    /// <summary>The backplane is unreachable; the message waits in its bounded buffer and is published when it is back.</summary>
    Buffered = 2,

    /// <summary>The backplane is unreachable and the message could not be buffered: other instances will not receive it. It is counted and logged.</summary>
    Dropped = 3,
}
