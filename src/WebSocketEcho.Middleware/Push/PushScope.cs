using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The connections of every endpoint served by one handler type on this instance: by id, by user and by group. Delivers
/// pushes to them (each through its connection's single writer) and hands every push to the backplane for the other instances.
/// </summary>
internal sealed class PushScope
{
    private readonly PushHubs _hubs;
    private readonly ConcurrentDictionary<string, WebSocketConnection> _connections = new(StringComparer.Ordinal);
    private readonly MembershipIndex _groups = new();
    private readonly MembershipIndex _users = new();
    private readonly Lock _lock = new();
    private int _endpoints;

    public PushScope(string name, PushHubs hubs)
    {
        Name = name;
        _hubs = hubs;
    }

    /// <summary>Gets the scope's name: the full name of the handler type.</summary>
    public string Name { get; }

    /// <summary>Gets the number of open connections in the scope on this instance.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Gets the number of groups with at least one member on this instance.</summary>
    public int GroupCount => _groups.Count;

    /// <summary>Gets the number of users with at least one connection on this instance.</summary>
    public int UserCount => _users.Count;

    private ILogger Logger => _hubs.Logger;

    /// <summary>Issues the id of a connection about to open.</summary>
    public string NewConnectionId() => _hubs.NewConnectionId();

    /// <summary>An endpoint now serves this scope: from the first one on, this instance wants messages for All.</summary>
    public void AttachEndpoint()
    {
        if (Interlocked.Increment(ref _endpoints) == 1)
        {
            _hubs.AddInterestInBackground(Name, PushTargetKind.All, string.Empty);
        }
    }

    /// <summary>Makes an opening connection reachable by id and by its user; awaits the backplane's subscription to a new user.</summary>
    public ValueTask RegisterAsync(WebSocketConnection connection)
    {
        var userId = _hubs.UserIds.GetUserId(connection);
        var newUser = false;
        lock (_lock)
        {
            _connections[connection.Id] = connection;
            if (!string.IsNullOrEmpty(userId))
            {
                connection.PushUserId = userId;
                _users.Add(userId, connection, out newUser);
            }
        }

        return newUser ? _hubs.AddInterestAsync(Name, PushTargetKind.Users, userId!, connection.ConnectionClosed) : default;
    }

    /// <summary>Forgets an ended connection: its id, its user, all its groups. Idempotent.</summary>
    public void Unregister(WebSocketConnection connection)
    {
        string? goneUser = null;
        List<string>? goneGroups = null;
        lock (_lock)
        {
            if (connection.PushUnregistered)
            {
                return;
            }

            connection.PushUnregistered = true;
            _connections.TryRemove(new KeyValuePair<string, WebSocketConnection>(connection.Id, connection));
            if (connection.PushUserId is { } userId && _users.Remove(userId, connection, out var emptied) && emptied)
            {
                goneUser = userId;
            }

            if (connection.PushGroups is { } groups)
            {
                foreach (var group in groups)
                {
                    if (_groups.Remove(group, connection, out var groupEmptied) && groupEmptied)
                    {
                        (goneGroups ??= []).Add(group);
                    }
                }

                connection.PushGroups = null;
            }
        }

        if (goneUser is not null)
        {
            _hubs.RemoveInterestInBackground(Name, PushTargetKind.Users, goneUser);
        }

        if (goneGroups is not null)
        {
            _hubs.Metrics.GroupsChanged(Name, -goneGroups.Count);
            foreach (var group in goneGroups)
            {
                _hubs.RemoveInterestInBackground(Name, PushTargetKind.Groups, group);
            }
        }
    }

    /// <summary>
    /// Delivers to this instance's connections, then hands the message to the backplane for the others; in an activity
    /// (a child of the caller's) when the source <c>WebSocketEcho.Middleware</c> has listeners.
    /// </summary>
    public ValueTask<PushResult> SendAsync(in PushTarget target, byte[] payload, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        if (!WebSocketActivitySource.Source.HasListeners())
        {
            return SendUntracedAsync(target, payload, type, cancellationToken);
        }

        var caller = Activity.Current;
        var activity = WebSocketActivitySource.StartPush(Name, target.Kind, type, payload.Length);
        if (activity is null)
        {
            return SendUntracedAsync(target, payload, type, cancellationToken);
        }

        ValueTask<PushResult> sending;
        try
        {
            sending = SendUntracedAsync(target, payload, type, cancellationToken);
        }
        catch (Exception ex)
        {
            WebSocketActivitySource.SetError(activity, ex);
            activity.Stop();
            throw;
        }

        if (sending.IsCompletedSuccessfully)
        {
            WebSocketActivitySource.SetPushResult(activity, sending.Result);
            activity.Stop();
            return sending;
        }

        // The backplane is still publishing: the activity ends when it has, and the caller's current activity is its own again.
        Activity.Current = caller;
        return EndPushActivityAsync(activity, sending);
    }

    private ValueTask<PushResult> SendUntracedAsync(in PushTarget target, byte[] payload, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var kind = target.Kind;
        var keys = target.KeyArray;
        var excluded = target.ExcludedArray;
        if (kind != PushTargetKind.All && keys.Length == 0)
        {
            // An empty list of connections, users or groups: nobody to reach, here or elsewhere.
            _hubs.Metrics.Pushed(Name, kind, 0);
            return ValueTask.FromResult(new PushResult(0, BackplaneDelivery.None));
        }

        var reached = DeliverLocal(kind, keys, excluded, payload, type, out var remoteConnections);
        _hubs.Metrics.Pushed(Name, kind, reached);

        var backplane = _hubs.Backplane;
        if (backplane is InProcessBackplane)
        {
            return ValueTask.FromResult(new PushResult(reached, BackplaneDelivery.None));
        }

        if (kind == PushTargetKind.Connections)
        {
            if (remoteConnections is null)
            {
                return ValueTask.FromResult(new PushResult(reached, BackplaneDelivery.None));
            }

            keys = [.. remoteConnections];
        }

        var message = new BackplaneMessage(Name, kind, keys, excluded, type, payload);
        return _hubs.PublishAsync(message, reached, cancellationToken);
    }

    /// <summary>Delivers a message another instance published to this instance's connections.</summary>
    public int DeliverFromBackplane(BackplaneMessage message)
    {
        var keys = message.Keys as string[] ?? [.. message.Keys];
        var excluded = message.ExcludedConnectionIds as string[] ?? [.. message.ExcludedConnectionIds];
        var reached = DeliverLocal(message.TargetKind, keys, excluded, message.Payload, message.MessageType, out _);
        _hubs.Metrics.DeliveredFromBackplane(Name, message.TargetKind, reached);
        return reached;
    }

    /// <summary>Adds or removes a connection, here or (with a backplane) on the instance holding it.</summary>
    public ValueTask<bool> ChangeGroupAsync(string connectionId, string groupName, bool join, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_hubs.Backplane is InProcessBackplane || _connections.ContainsKey(connectionId) || !IsRemoteId(connectionId))
        {
            return ChangeLocalGroupAsync(connectionId, groupName, join, cancellationToken);
        }

        return _hubs.ChangeRemoteGroupAsync(Name, connectionId, groupName, join, cancellationToken);
    }

    /// <summary>Adds or removes one of this instance's connections; false when no open connection here has the id.</summary>
    public ValueTask<bool> ChangeLocalGroupAsync(string connectionId, string groupName, bool join, CancellationToken cancellationToken)
    {
        bool found;
        bool changed;
        bool keyChanged;
        lock (_lock)
        {
            found = _connections.TryGetValue(connectionId, out var connection) && !connection.PushUnregistered;
            if (!found)
            {
                changed = keyChanged = false;
            }
            else if (join)
            {
                changed = _groups.Add(groupName, connection!, out keyChanged);
                if (changed)
                {
                    (connection!.PushGroups ??= []).Add(groupName);
                }
            }
            else
            {
                changed = _groups.Remove(groupName, connection!, out keyChanged);
                if (changed)
                {
                    connection!.PushGroups!.Remove(groupName);
                }
            }
        }

        if (!found)
        {
            Log.GroupConnectionNotFound(Logger, connectionId, groupName, Name);
            return ValueTask.FromResult(false);
        }

        if (changed)
        {
            Log.GroupChanged(Logger, connectionId, join ? "joined" : "left", groupName, Name);
        }

        if (!keyChanged)
        {
            return ValueTask.FromResult(true);
        }

        _hubs.Metrics.GroupsChanged(Name, join ? 1 : -1);
        if (!join)
        {
            _hubs.RemoveInterestInBackground(Name, PushTargetKind.Groups, groupName);
            return ValueTask.FromResult(true);
        }

        var subscribing = _hubs.AddInterestAsync(Name, PushTargetKind.Groups, groupName, cancellationToken);
        return subscribing.IsCompletedSuccessfully ? ValueTask.FromResult(true) : AwaitSubscriptionAsync(subscribing);
    }

    public bool HasLocalInterest(PushTargetKind kind, string key) => kind switch
    {
        PushTargetKind.All => Volatile.Read(ref _endpoints) > 0,
        PushTargetKind.Groups => _groups.Contains(key),
        PushTargetKind.Users => _users.Contains(key),
        _ => false,
    };

    public void CollectInterests(List<(string Scope, PushTargetKind Kind, string Key)> into)
    {
        if (Volatile.Read(ref _endpoints) > 0)
        {
            into.Add((Name, PushTargetKind.All, string.Empty));
        }

        foreach (var group in _groups.Keys)
        {
            into.Add((Name, PushTargetKind.Groups, group));
        }

        foreach (var user in _users.Keys)
        {
            into.Add((Name, PushTargetKind.Users, user));
        }
    }

    private static async ValueTask<PushResult> EndPushActivityAsync(Activity activity, ValueTask<PushResult> sending)
    {
        try
        {
            var result = await sending.ConfigureAwait(false);
            WebSocketActivitySource.SetPushResult(activity, result);
            return result;
        }
        catch (Exception ex)
        {
            WebSocketActivitySource.SetError(activity, ex);
            throw;
        }
        finally
        {
            activity.Stop();
        }
    }

    private static async ValueTask<bool> AwaitSubscriptionAsync(ValueTask subscribing)
    {
        await subscribing.ConfigureAwait(false);
        return true;
    }

    /// <summary>Whether the id was issued by another instance (so only the backplane can reach it).</summary>
    private bool IsRemoteId(string connectionId) =>
        ConnectionIds.GetInstanceId(connectionId) is { } instance && !string.Equals(instance, _hubs.InstanceId, StringComparison.Ordinal);

    private int DeliverLocal(
        PushTargetKind kind,
        string[] keys,
        string[] excluded,
        ReadOnlyMemory<byte> payload,
        WebSocketMessageType type,
        out List<string>? remoteConnections)
    {
        remoteConnections = null;
        var filter = new ExclusionFilter(excluded);
        var reached = 0;
        switch (kind)
        {
            case PushTargetKind.All:
                foreach (var pair in _connections)
                {
                    reached += Deliver(pair.Value, filter, payload, type);
                }

                break;

            case PushTargetKind.Connections:
                foreach (var id in keys)
                {
                    if (_connections.TryGetValue(id, out var connection))
                    {
                        reached += Deliver(connection, filter, payload, type);
                    }
                    else if (IsRemoteId(id) && _hubs.Backplane is not InProcessBackplane)
                    {
                        (remoteConnections ??= []).Add(id);
                    }
                    else
                    {
                        Log.PushConnectionNotFound(Logger, id, Name);
                    }
                }

                break;

            default:
                var index = kind == PushTargetKind.Groups ? _groups : _users;
                if (keys.Length == 1)
                {
                    if (index.Snapshot(keys[0], _lock) is { } members)
                    {
                        foreach (var member in members)
                        {
                            reached += Deliver(member, filter, payload, type);
                        }
                    }

                    break;
                }

                // Several groups or users: a connection in more than one of them receives the message once.
                var seen = new HashSet<WebSocketConnection>();
                foreach (var key in keys)
                {
                    if (index.Snapshot(key, _lock) is not { } members)
                    {
                        continue;
                    }

                    foreach (var member in members)
                    {
                        if (seen.Add(member))
                        {
                            reached += Deliver(member, filter, payload, type);
                        }
                    }
                }

                break;
        }

        return reached;
    }

    // Queued deliveries are not tied to the caller's token: once the call has returned, its message goes out to everyone
    // it was queued for (a sender that leaves, or a request that ends, does not take its last message back).
    private static int Deliver(WebSocketConnection connection, in ExclusionFilter filter, ReadOnlyMemory<byte> payload, WebSocketMessageType type) =>
        !filter.Excludes(connection.Id) && connection.TryPush(payload, type) ? 1 : 0;
}
