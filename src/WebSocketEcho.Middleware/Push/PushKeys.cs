namespace WebSocketEcho.Middleware;

/// <summary>Checks the connection ids, user ids and group names callers pass to push and group calls.</summary>
internal static class PushKeys
{
    public static string Validate(string? key, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(key, parameterName);
        return key;
    }

    /// <summary>Copies <paramref name="keys"/> into an array without duplicates, refusing null and empty entries.</summary>
    public static string[] Validate(IEnumerable<string>? keys, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(keys, parameterName);
        var list = new List<string>();
        HashSet<string>? seen = null;
        foreach (var key in keys)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException("The list holds a null or empty entry.", parameterName);
            }

            seen ??= new HashSet<string>(StringComparer.Ordinal);
            if (seen.Add(key))
            {
                list.Add(key);
            }
        }

        return [.. list];
    }
}
