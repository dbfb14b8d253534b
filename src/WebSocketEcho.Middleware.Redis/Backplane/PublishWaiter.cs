namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// A caller of <c>PublishAsync</c> waiting for the frames of its message (one per channel) while Redis is connected.
/// It learns <see cref="BackplaneDelivery.Published"/> when all went out, <see cref="BackplaneDelivery.Buffered"/> as
/// soon as the connection is lost (the frames stay queued), or <see cref="BackplaneDelivery.Dropped"/> when one was
/// given up. Only touched under the outbox's lock; continuations run asynchronously, never under it.
/// </summary>
internal sealed class PublishWaiter
{
    private readonly TaskCompletionSource<BackplaneDelivery> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;
    private BackplaneDelivery _worst = BackplaneDelivery.Published;

    public PublishWaiter(int frames) => _remaining = frames;

    public Task<BackplaneDelivery> Task => _completion.Task;

    /// <summary>One frame was published (or dropped); the last one completes the wait with the worst outcome.</summary>
    public void Report(BackplaneDelivery outcome)
    {
        Worsen(outcome);
        if (--_remaining == 0)
        {
            _completion.TrySetResult(_worst);
        }
    }

    /// <summary>Stops waiting now: the frames left stay queued (<paramref name="outcome"/> Buffered) or are gone (Dropped).</summary>
    public void Release(BackplaneDelivery outcome)
    {
        Worsen(outcome);
        _completion.TrySetResult(_worst);
    }

    // Published < Buffered < Dropped: the enum's order is the order of badness.
    private void Worsen(BackplaneDelivery outcome) => _worst = outcome > _worst ? outcome : _worst;
}
