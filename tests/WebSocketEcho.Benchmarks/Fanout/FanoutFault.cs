namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// A fault a fan-out server can inject once, into the middle of its first publish of two or more messages
/// (<c>fanout --fault X</c>): the runner's self-test, which must then fail. Proves the client's checks catch each kind.
/// </summary>
internal enum FanoutFault
{
    /// <summary>No fault (every real run).</summary>
    None,

    /// <summary>One message's last padding byte (32 B messages: the first digit of its sequence number) is changed.</summary>
    Garble,

    /// <summary>One message is not published.</summary>
    Lose,

    /// <summary>One message is published twice.</summary>
    Duplicate,

    /// <summary>Two messages are published in the wrong order.</summary>
    Reorder,
}

/// <summary>How the servers inject a <see cref="FanoutFault"/>.</summary>
internal static class FanoutFaults
{
    /// <summary>
    /// Changes one byte the client checks: the last padding byte, or, for a message without padding (32 B: sequence
    /// and timestamp only, and the timestamp is not checked), the first digit of the sequence number, to a non-digit.
    /// </summary>
    public static string Garble(string text) =>
        text.Length > FanoutPayload.HeaderLength
            ? string.Concat(text.AsSpan(0, text.Length - 1), text[^1] == 'a' ? "b" : "a")
            : string.Concat("z", text.AsSpan(1));
}
