using System.Collections.Concurrent;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Groups by name, or users by id, each a <see cref="ConnectionSet"/>. Lookups are lock-free; changes happen under the
/// scope's lock, and a set is removed with its last member, so an empty group or a user with no connection costs nothing.
/// </summary>
internal sealed class MembershipIndex
{
    private readonly ConcurrentDictionary<string, ConnectionSet> _sets = new(StringComparer.Ordinal);

    /// <summary>Gets the number of keys (groups or users) with at least one member.</summary>
    public int Count => _sets.Count;

    public ICollection<string> Keys => _sets.Keys;

    public bool Contains(string key) => _sets.ContainsKey(key);

    /// <summary>Adds a member under <paramref name="key"/>; <paramref name="created"/> tells whether it is the key's first. Call under the scope's lock.</summary>
    public bool Add(string key, WebSocketConnection connection, out bool created)
    {
        created = false;
        if (!_sets.TryGetValue(key, out var set))
        {
            set = new ConnectionSet();
            _sets[key] = set;
            created = true;
        }

        return set.Add(connection);
    }

    /// <summary>Removes a member; <paramref name="emptied"/> tells whether it was the key's last. Call under the scope's lock.</summary>
    public bool Remove(string key, WebSocketConnection connection, out bool emptied)
    {
        emptied = false;
        if (!_sets.TryGetValue(key, out var set) || !set.Remove(connection))
        {
            return false;
        }

        if (set.Count == 0)
        {
            _sets.TryRemove(key, out _);
            emptied = true;
        }

        return true;
    }

    /// <summary>Gets the members under <paramref name="key"/> as they are now, or null when there are none.</summary>
    public WebSocketConnection[]? Snapshot(string key, Lock scopeLock) =>
        _sets.TryGetValue(key, out var set) ? set.Snapshot(scopeLock) : null;
}
