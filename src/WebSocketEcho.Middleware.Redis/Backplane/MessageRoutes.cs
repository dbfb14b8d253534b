namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Which channels a pushed message is published on, so that an instance receives only what can concern it where that
/// is cheap: all -> the scope's channel; one group or user -> its own channel; several groups or users -> the scope's
/// channel once (each instance picks its members, a connection in several of them gets the message once); connection
/// ids -> the channel of each instance holding some of them, with only that instance's ids.
/// </summary>
internal static class MessageRoutes
{
    public static OutboxEntry[] Build(BackplaneMessage message, string publisher, ulong sequence, ChannelNames channels)
    {
        var scope = message.Scope;
        var keys = message.Keys;
        switch (message.TargetKind)
        {
            case PushTargetKind.Groups when keys.Count == 1:
                return [Entry(channels.Group(scope, keys[0]), keys)];
            case PushTargetKind.Users when keys.Count == 1:
                return [Entry(channels.User(scope, keys[0]), keys)];
            case PushTargetKind.Connections:
                return ByInstance(keys, publisher, (instance, ids) => Entry(channels.Instance(instance), ids));
            default:
                return [Entry(channels.All(scope), keys)];
        }

        OutboxEntry Entry(StackExchange.Redis.RedisChannel channel, IReadOnlyList<string> frameKeys) =>
            new(channel, PushFrame.Encode(publisher, sequence, message, frameKeys));
    }

    /// <summary>One entry per instance holding some of <paramref name="connectionIds"/>; ids not issued by another instance are left out.</summary>
    private static OutboxEntry[] ByInstance(IReadOnlyList<string> connectionIds, string publisher, Func<string, IReadOnlyList<string>, OutboxEntry> entry)
    {
        var byInstance = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var id in connectionIds)
        {
            if (BackplaneReceiver.GetInstanceId(id) is { } instance && !string.Equals(instance, publisher, StringComparison.Ordinal))
            {
                if (!byInstance.TryGetValue(instance, out var ids))
                {
                    byInstance[instance] = ids = [];
                }

                ids.Add(id);
            }
        }

        var entries = new OutboxEntry[byInstance.Count];
        var i = 0;
        foreach (var (instance, ids) in byInstance)
        {
            entries[i++] = entry(instance, ids);
        }

        return entries;
    }
}
