namespace WebSocketEcho.Middleware;

/// <summary>What a push reached: the connections on this instance, and whether the message left for other instances.</summary>
public readonly struct PushResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="reached">The connections on this instance the message was handed to.</param>
    /// <param name="backplane">What the backplane did with the message.</param>
    public PushResult(int reached, BackplaneDelivery backplane)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reached);
        Reached = reached;
        Backplane = backplane;
    }

    /// <summary>
    /// Gets the number of connections on this instance the message was handed to (queued on their single writer). A
    /// connection that was closing, ended, or over its <see cref="WebSocketHandlerOptions.MaxPendingSendBytes"/> is not
    /// counted. Connections on other instances are never counted: see <see cref="Backplane"/>.
    /// </summary>
    public int Reached { get; }

    /// <summary>Gets what the backplane did with the message: <see cref="BackplaneDelivery.None"/> when no other instance had to be told.</summary>
    public BackplaneDelivery Backplane { get; }

    /// <inheritdoc />
    public override string ToString() => $"Reached {Reached} here, backplane {Backplane}";
}
