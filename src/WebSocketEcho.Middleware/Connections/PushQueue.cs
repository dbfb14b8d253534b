using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The pushed messages waiting for one connection's single writer. A push only appends here (and, when no drain is
/// pending, schedules one on the thread pool), so a publisher hands a message to thousands of connections at the cost
/// of an append each; the drain then writes everything that has gathered as one batch of frames. Created on a
/// connection's first push.
/// </summary>
internal sealed class PushQueue : IThreadPoolWorkItem
{
    private readonly WebSocketConnection _connection;
    private readonly Lock _lock = new();
    private Entry[] _entries = new Entry[4];
    private Entry[] _spare = new Entry[4];
    private int _count;
    private bool _drainPending;

    public PushQueue(WebSocketConnection connection) => _connection = connection;

    /// <summary>Appends a message; schedules a drain unless one is already pending or running.</summary>
    public void Enqueue(ReadOnlyMemory<byte> payload, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        bool schedule;
        lock (_lock)
        {
            if (_count == _entries.Length)
            {
                Array.Resize(ref _entries, _entries.Length * 2);
            }

            _entries[_count++] = new Entry(payload, type, cancellationToken);
            schedule = !_drainPending;
            _drainPending = true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>
    /// Takes every waiting message (the caller holds the connection's send lock and writes them before anything else).
    /// With <paramref name="endsDrain"/>, finding none ends the pending drain: the next push schedules a new one.
    /// </summary>
    /// <returns>The messages in <c>Entries[..Count]</c>, valid until the next call; a count of 0 when there are none.</returns>
    public (Entry[] Entries, int Count) TakeAll(bool endsDrain)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                if (endsDrain)
                {
                    _drainPending = false;
                }

                return (_entries, 0);
            }

            // Swap the arrays: the caller reads one while new pushes fill the other. What the previous call handed out
            // is cleared here, so a payload stays referenced until the next drain at most.
            var taken = _entries;
            var count = _count;
            Array.Clear(_spare);
            _entries = _spare;
            _spare = taken;
            _count = 0;
            return (taken, count);
        }
    }

    /// <summary>Gets a value indicating whether messages are waiting (a racy read: for the send fast path's check only).</summary>
    public bool HasEntries => Volatile.Read(ref _count) > 0;

    void IThreadPoolWorkItem.Execute() => _connection.DrainPushes();

    /// <summary>One waiting message.</summary>
    internal readonly record struct Entry(ReadOnlyMemory<byte> Payload, WebSocketMessageType Type, CancellationToken CancellationToken);
}
