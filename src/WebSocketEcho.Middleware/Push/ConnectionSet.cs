namespace WebSocketEcho.Middleware;

/// <summary>
/// The members of one group, or the connections of one user. Changed only under the owning scope's lock; read without
/// it through an array snapshot that is rebuilt on the first read after a change, so a push never holds a lock while it
/// delivers and a member that joins or leaves during a push neither breaks it nor is seen twice.
/// </summary>
internal sealed class ConnectionSet
{
    private readonly HashSet<WebSocketConnection> _members = [];
    private WebSocketConnection[]? _snapshot;

    /// <summary>Gets the number of members. Call under the scope's lock.</summary>
    public int Count => _members.Count;

    /// <summary>Adds a member; false if it was one already. Call under the scope's lock.</summary>
    public bool Add(WebSocketConnection connection)
    {
        if (!_members.Add(connection))
        {
            return false;
        }

        Volatile.Write(ref _snapshot, null);
        return true;
    }

    /// <summary>Removes a member; false if it was not one. Call under the scope's lock.</summary>
    public bool Remove(WebSocketConnection connection)
    {
        if (!_members.Remove(connection))
        {
            return false;
        }

        Volatile.Write(ref _snapshot, null);
        return true;
    }

    /// <summary>Gets the members as they are now, without the scope's lock unless the set changed since the last read.</summary>
    public WebSocketConnection[] Snapshot(Lock scopeLock)
    {
        if (Volatile.Read(ref _snapshot) is { } snapshot)
        {
            return snapshot;
        }

        lock (scopeLock)
        {
            snapshot = _snapshot ?? [.. _members];
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
    }
}
