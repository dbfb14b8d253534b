namespace WebSocketEcho.Middleware;

/// <summary>
/// Carries pushes and group changes between the instances of an app behind a load balancer (for example the Redis
/// backplane of <c>WebSocketEcho.Middleware.Redis</c>). Register one as a singleton <see cref="WebSocketBackplane"/>;
/// without one, pushes reach this instance's connections only, and nothing else is needed.
/// </summary>
/// <remarks>
/// <para>
/// The core always delivers a push to this instance's connections itself, then calls <see cref="PublishAsync"/> so the
/// backplane hands it to <see cref="BackplaneReceiver.Deliver"/> on every other instance. A backplane must never throw
/// from <see cref="PublishAsync"/> because the other instances are unreachable: it reports that in its result
/// (<see cref="BackplaneDelivery.Buffered"/> or <see cref="BackplaneDelivery.Dropped"/>), so local delivery and the
/// connections are never affected by a backplane outage.
/// </para>
/// <para>
/// Connection ids carry the id of the instance that holds the connection (<see cref="BackplaneReceiver.GetInstanceId"/>),
/// so a message or group change for one connection can go to that instance alone.
/// </para>
/// </remarks>
public abstract class WebSocketBackplane
{
    /// <summary>
    /// Called once, before anything else, with what delivers messages from other instances to this instance's
    /// connections. Must return quickly and must not fail when the other instances are unreachable: connect in the background.
    /// </summary>
    /// <param name="receiver">This instance's side.</param>
    protected internal abstract void Start(BackplaneReceiver receiver);

    /// <summary>Hands a push, already delivered on this instance, to the other instances.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What became of the message; never throws because the other instances are unreachable.</returns>
    public abstract ValueTask<BackplaneDelivery> PublishAsync(BackplaneMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the instance holding a connection (not this one) to add it to a group or remove it from one, and waits for its
    /// answer (<see cref="BackplaneReceiver.ChangeGroupAsync"/> there).
    /// </summary>
    /// <param name="scope">The push scope.</param>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="groupName">The group's name.</param>
    /// <param name="join"><see langword="true"/> to add the connection, <see langword="false"/> to remove it.</param>
    /// <param name="cancellationToken">Cancels waiting for the answer.</param>
    /// <returns><see langword="true"/> when the holding instance found the connection open; <see langword="false"/> when it did not, or did not answer in time.</returns>
    public abstract ValueTask<bool> ChangeGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken);

    /// <summary>
    /// Called when this instance starts to care about messages for a key: the first local member of a group joined
    /// (awaited by <c>AddToGroupAsync</c>), the first local connection of a user opened (awaited before
    /// <c>OnConnectedAsync</c>), or the first endpoint of a scope was added (<see cref="PushTargetKind.All"/>, empty key).
    /// Calls for one key may overlap with <see cref="OnInterestRemovedAsync"/>: when yours completes, check
    /// <see cref="BackplaneReceiver.HasLocalInterest"/> to see which is current. Must not fail or wait long when the
    /// other instances are unreachable.
    /// </summary>
    /// <param name="scope">The push scope.</param>
    /// <param name="kind">What the key names.</param>
    /// <param name="key">The group name or user id; empty for <see cref="PushTargetKind.All"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when messages for the key reach this instance (as far as the backplane can tell).</returns>
    protected internal virtual ValueTask OnInterestAddedAsync(string scope, PushTargetKind kind, string key, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <summary>Called (not awaited) when this instance's last local member of a group left, or the last local connection of a user ended.</summary>
    /// <param name="scope">The push scope.</param>
    /// <param name="kind">What the key names.</param>
    /// <param name="key">The group name or user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the backplane has stopped routing the key here.</returns>
    protected internal virtual ValueTask OnInterestRemovedAsync(string scope, PushTargetKind kind, string key, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
