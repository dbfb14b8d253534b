using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The Redis channels of one app (one <see cref="RedisBackplaneOptions.ChannelPrefix"/>), all literal (a group named
/// <c>a*</c> is not a pattern):
/// <list type="bullet">
/// <item><c>{prefix}:i:{instance}</c>: one per instance; messages for its connection ids, group changes for its connections, answers to its group changes.</item>
/// <item><c>{prefix}:a:{scope}</c>: messages for all connections of a handler type, and for several groups or users at once; subscribed by every instance with an endpoint of the scope.</item>
/// <item><c>{prefix}:g:{scope}:{group}</c>: messages for one group; subscribed while the instance has a member.</item>
/// <item><c>{prefix}:u:{scope}:{user}</c>: messages for one user; subscribed while the instance has a connection of the user.</item>
/// </list>
/// The scope is the handler type's full name, which holds no colon; the group or user comes last, so it may hold anything.
/// </summary>
internal sealed class ChannelNames
{
    private readonly string _prefix;

    public ChannelNames(string prefix) => _prefix = prefix;

    public RedisChannel Instance(string instanceId) => RedisChannel.Literal($"{_prefix}:i:{instanceId}");

    public RedisChannel All(string scope) => RedisChannel.Literal($"{_prefix}:a:{scope}");

    public RedisChannel Group(string scope, string group) => RedisChannel.Literal($"{_prefix}:g:{scope}:{group}");

    public RedisChannel User(string scope, string user) => RedisChannel.Literal($"{_prefix}:u:{scope}:{user}");

    /// <summary>The channel that carries messages for an interest (see <see cref="BackplaneReceiver.GetLocalInterests"/>).</summary>
    public RedisChannel For(string scope, PushTargetKind kind, string key) => kind switch
    {
        PushTargetKind.All => All(scope),
        PushTargetKind.Groups => Group(scope, key),
        PushTargetKind.Users => User(scope, key),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only All, Groups and Users are interests."),
    };
}
