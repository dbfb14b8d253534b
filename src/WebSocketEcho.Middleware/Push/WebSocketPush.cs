namespace WebSocketEcho.Middleware;

/// <summary>The <see cref="IWebSocketPush{THandler}"/> DI hands out: the push scope of <typeparamref name="THandler"/>.</summary>
/// <typeparam name="THandler">The handler type.</typeparam>
internal sealed class WebSocketPush<THandler> : IWebSocketPush<THandler>
    where THandler : class, IMessageHandler
{
    private readonly PushScope _scope;

    public WebSocketPush(PushHubs hubs) => _scope = hubs.GetScope(typeof(THandler));

    public PushTarget All => new(_scope, PushTargetKind.All, [], []);

    public PushTarget Connection(string connectionId) =>
        new(_scope, PushTargetKind.Connections, [PushKeys.Validate(connectionId, nameof(connectionId))], []);

    public PushTarget Connections(params IEnumerable<string> connectionIds) =>
        new(_scope, PushTargetKind.Connections, PushKeys.Validate(connectionIds, nameof(connectionIds)), []);

    public PushTarget User(string userId) =>
        new(_scope, PushTargetKind.Users, [PushKeys.Validate(userId, nameof(userId))], []);

    public PushTarget Users(params IEnumerable<string> userIds) =>
        new(_scope, PushTargetKind.Users, PushKeys.Validate(userIds, nameof(userIds)), []);

    public PushTarget Group(string groupName) =>
        new(_scope, PushTargetKind.Groups, [PushKeys.Validate(groupName, nameof(groupName))], []);

    public PushTarget Groups(params IEnumerable<string> groupNames) =>
        new(_scope, PushTargetKind.Groups, PushKeys.Validate(groupNames, nameof(groupNames)), []);

    public ValueTask<bool> AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        _scope.ChangeGroupAsync(PushKeys.Validate(connectionId, nameof(connectionId)), PushKeys.Validate(groupName, nameof(groupName)), join: true, cancellationToken);

    public ValueTask<bool> RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        _scope.ChangeGroupAsync(PushKeys.Validate(connectionId, nameof(connectionId)), PushKeys.Validate(groupName, nameof(groupName)), join: false, cancellationToken);
}
