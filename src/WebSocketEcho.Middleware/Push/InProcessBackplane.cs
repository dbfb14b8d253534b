namespace WebSocketEcho.Middleware;

/// <summary>
/// The default backplane of a single instance: there are no other instances, so there is nothing to carry. Local delivery
/// is done by the push scope itself for every backplane, so with this one a push behaves exactly as on one server.
/// </summary>
internal sealed class InProcessBackplane : WebSocketBackplane
{
    public static readonly InProcessBackplane Instance = new();

    public override ValueTask<BackplaneDelivery> PublishAsync(BackplaneMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(BackplaneDelivery.None);

    public override ValueTask<bool> ChangeGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken) =>
        ValueTask.FromResult(false);

    protected internal override void Start(BackplaneReceiver receiver)
    {
    }
}
