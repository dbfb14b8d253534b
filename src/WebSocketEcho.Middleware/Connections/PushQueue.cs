using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The pushed messages waiting for one connection's single writer. A push only appends here and, when no drain is
/// pending, schedules one on the thread pool, so a publisher hands a message to thousands of connections at the cost
/// of an append each; the drain (<see cref="ConnectionWriter.DrainPushes"/>) then sends what has gathered through
/// the platform's WebSocket, one message at a time. Created on a connection's first push.
/// </summary>
internal sealed class PushQueue : IThreadPoolWorkItem
{
    private readonly ConnectionWriter _writer;
    private readonly Lock _lock = new();
    private Entry[] _entries = new Entry[4];
    private Entry[] _spare = new Entry[4];
    private int _count;
    private bool _drainPending;

    public PushQueue(ConnectionWriter writer) => _writer = writer;

    /// <summary>Gets a value indicating whether messages are waiting (a racy read: for the send path's check only).</summary>
    public bool HasEntries => Volatile.Read(ref _count) > 0;

    /// <summary>Appends a message; schedules a drain unless one is already pending or running.</summary>
    public void Enqueue(ReadOnlyMemory<byte> payload, WebSocketMessageType type)
    {
        bool schedule;
        lock (_lock)
        {
            if (_count == _entries.Length)
            {
                Array.Resize(ref _entries, _entries.Length * 2);
            }

            _entries[_count++] = new Entry(payload, type);
            schedule = !_drainPending;
            _drainPending = true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>
    /// Takes every waiting message; the caller holds the connection's send lock and sends them before anything else.
    /// With <paramref name="endsDrain"/> (the drain itself), finding none ends the pending drain, so the next push
    /// schedules a new one.
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
            // is cleared here, so a payload stays referenced until the next take at most.
            var taken = _entries;
            var count = _count;
            Array.Clear(_spare);
            _entries = _spare;
            _spare = taken;
            _count = 0;
            return (taken, count);
        }
    }

    /// <summary>The drain gives up its turn with messages still waiting (so a waiting send gets the lock): run again.</summary>
    public void Reschedule() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    void IThreadPoolWorkItem.Execute() => _writer.DrainPushes();

    /// <summary>One waiting message.</summary>
    internal readonly record struct Entry(ReadOnlyMemory<byte> Payload, WebSocketMessageType Type);
}
