using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// What the load client's connections received from one server: for the current phase the deliveries expected, how many
/// arrived, when the last one did and the publish-to-receipt latencies; for the whole run every error (a lost,
/// duplicated, out-of-order or garbled message, a dropped connection). Connections report here from their receive loops.
/// </summary>
internal sealed class DeliveryTally
{
    private long _received;
    private long _target = long.MaxValue;
    private long _lastAt;
    private long _errors;
    private string? _firstError;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile LatencyHistogram? _latency;
    private volatile int _size = FanoutPayload.HeaderLength;

    /// <summary>Gets the size every message of the current phase must have.</summary>
    public int Size => _size;

    /// <summary>Gets the errors so far (all phases).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Gets the first error seen, or null.</summary>
    public string? FirstError => Volatile.Read(ref _firstError);

    /// <summary>Gets the deliveries of the current phase so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Gets the Stopwatch timestamp of the delivery that completed the current phase.</summary>
    public long LastAt => Interlocked.Read(ref _lastAt);

    /// <summary>
    /// Starts a phase: <paramref name="deliveries"/> messages of <paramref name="size"/> bytes are expected in all;
    /// latencies go to <paramref name="latency"/> (null: not recorded). Call only when nothing is in flight.
    /// </summary>
    public void Expect(long deliveries, int size, LatencyHistogram? latency)
    {
        _size = size;
        _latency = latency;
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _lastAt, 0);
        Volatile.Write(ref _done, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Exchange(ref _target, deliveries);
    }

    /// <summary>A message arrived intact and in order at <paramref name="now"/>; it was published at <paramref name="publishedAt"/>.</summary>
    public void Delivered(long now, long publishedAt)
    {
        _latency?.RecordTicks(now - publishedAt);
        if (Interlocked.Increment(ref _received) == Interlocked.Read(ref _target))
        {
            Interlocked.Exchange(ref _lastAt, now);
            Volatile.Read(ref _done).TrySetResult();
        }
    }

    /// <summary>Records <paramref name="count"/> errors; the phase being waited for ends at once (it cannot complete).</summary>
    public void Fail(string detail, long count = 1)
    {
        Interlocked.Add(ref _errors, count);
        Interlocked.CompareExchange(ref _firstError, detail, null);
        Volatile.Read(ref _done).TrySetResult();
    }

    /// <summary>
    /// Waits until every expected delivery of the phase arrived; false, with the shortfall counted as errors, when
    /// <paramref name="timeout"/> passed or an error ended the phase first.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout)
    {
        var done = Volatile.Read(ref _done).Task;
        await Task.WhenAny(done, Task.Delay(timeout));
        if (Received < Interlocked.Read(ref _target) && done.IsCompleted)
        {
            // An error ended the wait early: let what is still on its way arrive (until 1 s passes without any), so
            // that only the deliveries that really did not come are counted.
            for (var seen = -1L; seen != Received;)
            {
                seen = Received;
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }

        var missing = Interlocked.Read(ref _target) - Received;
        if (missing > 0)
        {
            Fail($"{missing} of {Interlocked.Read(ref _target)} deliveries had not arrived {(done.IsCompleted ? "when an error ended the phase" : $"after {timeout.TotalSeconds:0} s")}", missing);
            return false;
        }

        return Errors == 0;
    }
}
