namespace WebSocketEcho.Middleware.Redis;

/// <summary>Where the backplane's link to Redis stands, as far as publishing is concerned.</summary>
internal enum OutboxMode
{
    /// <summary>Redis is unreachable: messages are buffered (callers learn Buffered at once).</summary>
    Down,

    /// <summary>Redis is back and the buffer is being published, in order; new messages queue behind it (Buffered).</summary>
    Recovering,

    /// <summary>Connected: callers wait for their message to be published (Published).</summary>
    Up,

    /// <summary>The backplane has stopped: nothing is accepted any more (Dropped).</summary>
    Stopped,
}
