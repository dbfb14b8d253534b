namespace WebSocketEcho.Middleware;

/// <summary>The connection ids a push leaves out; a short list is scanned, a long one hashed.</summary>
internal readonly struct ExclusionFilter
{
    private const int ScanLimit = 8;

    private readonly string[] _ids;
    private readonly HashSet<string>? _set;

    public ExclusionFilter(string[] ids)
    {
        _ids = ids;
        _set = ids.Length > ScanLimit ? new HashSet<string>(ids, StringComparer.Ordinal) : null;
    }

    public bool Excludes(string connectionId)
    {
        if (_set is not null)
        {
            return _set.Contains(connectionId);
        }

        foreach (var id in _ids)
        {
            if (string.Equals(id, connectionId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
