namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// A fault a fan-out server can inject once, into the middle of its first publish of two or more messages
/// (<c>fanout --fault X</c>): the runner's self-test, which must then fail. Proves the client's checks catch each kind.
/// </summary>
internal enum FanoutFault
{
    /// <summary>No fault (every real run).</summary>
    None,

    /// <summary>One message's last byte is changed.</summary>
    Garble,

    /// <summary>One message is not published.</summary>
    Lose,

    /// <summary>One message is published twice.</summary>
    Duplicate,

    /// <summary>Two messages are published in the wrong order.</summary>
    Reorder,
}
