using System.Collections.Concurrent;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>The group changes this instance asked other instances for, waiting for their answers (by request id).</summary>
internal sealed class PendingGroupChanges
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<bool>> _pending = new();
    private long _lastId;

    public (ulong Id, Task<bool> Answer) Register()
    {
        var id = (ulong)Interlocked.Increment(ref _lastId);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        return (id, answer.Task);
    }

    /// <summary>Hands an answer to its waiting request; an answer nobody waits for any more (timed out) is ignored.</summary>
    public void Complete(ulong id, bool found)
    {
        if (_pending.TryRemove(id, out var answer))
        {
            answer.TrySetResult(found);
        }
    }

    public void Forget(ulong id) => _pending.TryRemove(id, out _);

    /// <summary>Ends every wait at once (Redis is gone, or the backplane stops): the answers cannot arrive.</summary>
    public void CancelAll()
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var answer))
            {
                answer.TrySetCanceled();
            }
        }
    }
}
