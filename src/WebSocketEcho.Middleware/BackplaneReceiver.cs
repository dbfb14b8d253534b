namespace WebSocketEcho.Middleware;

/// <summary>
/// This instance's side of a <see cref="WebSocketBackplane"/>: delivers what other instances published to this
/// instance's connections, and applies their group changes. Created by the core and handed to
/// <see cref="WebSocketBackplane.Start"/>; every member is thread-safe and never throws for unknown scopes, connections or groups.
/// </summary>
public sealed class BackplaneReceiver
{
    private readonly PushHubs _hubs;

    internal BackplaneReceiver(PushHubs hubs) => _hubs = hubs;

    /// <summary>Gets this instance's id: random, unique per app instance, and the prefix of every connection id it issues.</summary>
    public string InstanceId => _hubs.InstanceId;

    /// <summary>Gets the id of the instance that issued a connection id.</summary>
    /// <param name="connectionId">A connection id.</param>
    /// <returns>The instance id, or <see langword="null"/> when <paramref name="connectionId"/> is not one the middleware issued.</returns>
    public static string? GetInstanceId(string? connectionId) => ConnectionIds.GetInstanceId(connectionId);

    /// <summary>Delivers a message published by another instance to this instance's connections.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The number of connections on this instance it was handed to.</returns>
    public int Deliver(BackplaneMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _hubs.DeliverFromBackplane(message);
    }

    /// <summary>Adds a connection of this instance to a group, or removes it, for another instance's <c>AddToGroupAsync</c>/<c>RemoveFromGroupAsync</c>.</summary>
    /// <param name="scope">The push scope.</param>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="groupName">The group's name.</param>
    /// <param name="join"><see langword="true"/> to add, <see langword="false"/> to remove.</param>
    /// <param name="cancellationToken">Cancels waiting for the backplane's own subscription (when the group is new here).</param>
    /// <returns><see langword="true"/> when the connection is open on this instance.</returns>
    public ValueTask<bool> ChangeGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        ArgumentException.ThrowIfNullOrEmpty(groupName);
        return _hubs.TryGetScope(scope) is { } pushScope
            ? pushScope.ChangeLocalGroupAsync(connectionId, groupName, join, cancellationToken)
            : ValueTask.FromResult(false);
    }

    /// <summary>Tells whether this instance currently has connections a message for the key would reach.</summary>
    /// <param name="scope">The push scope.</param>
    /// <param name="kind"><see cref="PushTargetKind.Groups"/>, <see cref="PushTargetKind.Users"/>, or <see cref="PushTargetKind.All"/> (any endpoint of the scope).</param>
    /// <param name="key">The group name or user id; ignored for <see cref="PushTargetKind.All"/>.</param>
    /// <returns><see langword="true"/> when a group member, a user's connection, or (for All) an endpoint of the scope is here.</returns>
    public bool HasLocalInterest(string scope, PushTargetKind kind, string key)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(key);
        return _hubs.TryGetScope(scope) is { } pushScope && pushScope.HasLocalInterest(kind, key);
    }

    /// <summary>Lists what this instance currently has an interest in, for a backplane that (re)subscribes everything at once.</summary>
    /// <returns>A snapshot of (scope, kind, key): every scope with an endpoint (All, empty key), every group with a local member, every user with a local connection.</returns>
    public IReadOnlyList<(string Scope, PushTargetKind Kind, string Key)> GetLocalInterests() => _hubs.GetLocalInterests();
}
