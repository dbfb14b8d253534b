namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The ordered, bounded queue of frames waiting to be published: in normal operation for the moment of a round trip,
/// during an outage until Redis is back. One publisher loop takes frames from the head and removes them only once Redis
/// has taken them, so a failure leaves them in place to be published again, in order. Bounded in messages, bytes and age.
/// </summary>
internal sealed class Outbox
{
    private readonly Lock _lock = new();
    private readonly Queue<OutboxEntry> _entries = new();
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly long _maxAgeTicks;
    private readonly TimeProvider _time;
    private long _bytes;
    private OutboxMode _mode = OutboxMode.Down;

    public Outbox(RedisBackplaneOptions options, TimeProvider time)
    {
        _maxMessages = options.MaxBufferedMessages;
        _maxBytes = options.MaxBufferedBytes;
        _maxAgeTicks = (long)(options.MaxBufferAge.TotalSeconds * time.TimestampFrequency);
        _time = time;
    }

    public OutboxMode Mode
    {
        get
        {
            lock (_lock)
            {
                return _mode;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>
    /// Admits the frames of one message, all or none. An empty outbox takes a message whatever its size; otherwise the
    /// bounds hold. While connected the caller gets a waiter; otherwise the frames are simply buffered.
    /// </summary>
    public Admission Enqueue(OutboxEntry[] entries, out PublishWaiter? waiter)
    {
        waiter = null;
        var size = 0L;
        foreach (var entry in entries)
        {
            size += entry.Frame.Length;
        }

        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_mode == OutboxMode.Stopped)
            {
                return Admission.Stopped;
            }

            if (_entries.Count > 0 && (_entries.Count + entries.Length > _maxMessages || _bytes + size > _maxBytes))
            {
                return Admission.Full;
            }

            if (_mode == OutboxMode.Up)
            {
                waiter = new PublishWaiter(entries.Length);
            }

            foreach (var entry in entries)
            {
                entry.Enqueued = now;
                entry.Waiter = waiter;
                _entries.Enqueue(entry);
            }

            _bytes += size;
            return waiter is null ? Admission.Buffered : Admission.Waiting;
        }
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> frames from the head into <paramref name="batch"/>, after dropping the ones
    /// older than the maximum age; returns how many were dropped.
    /// </summary>
    public int PeekBatch(List<OutboxEntry> batch, int max)
    {
        var expired = 0;
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            while (_entries.TryPeek(out var head) && now - head.Enqueued > _maxAgeTicks)
            {
                RemoveHead(BackplaneDelivery.Dropped);
                expired++;
            }

            foreach (var entry in _entries)
            {
                if (batch.Count == max)
                {
                    break;
                }

                batch.Add(entry);
            }
        }

        return expired;
    }

    /// <summary>Removes the first <paramref name="count"/> frames: Redis took them (or, for <see cref="BackplaneDelivery.Dropped"/>, refused them).</summary>
    public void RemoveHead(int count, BackplaneDelivery outcome)
    {
        lock (_lock)
        {
            // After Stop the queue is empty: a publish that completed late has nothing left to remove.
            for (var i = 0; i < count && _entries.Count > 0; i++)
            {
                RemoveHead(outcome);
            }
        }
    }

    /// <summary>Changes the mode; going down releases the waiting callers with Buffered. Returns how many frames were waiting.</summary>
    public int SetMode(OutboxMode mode)
    {
        lock (_lock)
        {
            if (_mode == OutboxMode.Stopped)
            {
                return 0;
            }

            _mode = mode;
            if (mode != OutboxMode.Down)
            {
                return 0;
            }

            var released = 0;
            foreach (var entry in _entries)
            {
                if (entry.Waiter is { } waiter)
                {
                    waiter.Release(BackplaneDelivery.Buffered);
                    entry.Waiter = null;
                    released++;
                }
            }

            return released;
        }
    }

    /// <summary>Stops for good: everything still queued is dropped (waiting callers learn Dropped). Returns how many.</summary>
    public int Stop()
    {
        lock (_lock)
        {
            _mode = OutboxMode.Stopped;
            var dropped = _entries.Count;
            while (_entries.Count > 0)
            {
                RemoveHead(BackplaneDelivery.Dropped);
            }

            return dropped;
        }
    }

    private void RemoveHead(BackplaneDelivery outcome)
    {
        var entry = _entries.Dequeue();
        _bytes -= entry.Frame.Length;
        entry.Waiter?.Report(outcome);
        entry.Waiter = null;
    }
}

/// <summary>What <see cref="Outbox.Enqueue"/> did with a message.</summary>
internal enum Admission
{
    /// <summary>Queued while connected; the caller waits for it to be published.</summary>
    Waiting,

    /// <summary>Queued while Redis is unreachable or the buffer is being published.</summary>
    Buffered,

    /// <summary>Refused: the buffer is full.</summary>
    Full,

    /// <summary>Refused: the backplane has stopped.</summary>
    Stopped,
}
