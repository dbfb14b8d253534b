using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The writer's side of pushes: a push appends to the connection's <see cref="PushQueue"/> and returns; a drain on
/// the thread pool takes the single writer's lock and sends what has gathered, each message through the platform's
/// <c>WebSocket.SendAsync</c>, while the transport gathers the frames into one write (<see cref="TransportStream.BeginBatch"/>).
/// The connection's own sends and its close frame first send the pushes queued before them, so each caller's order holds.
/// A message sent while the socket was aborted counts as lost, as for every send.
/// </summary>
internal sealed partial class ConnectionWriter
{
    /// <summary>Messages up to this size are gathered into a batch; a larger one is written alone.</summary>
    private const int BatchedMessageMaxBytes = 16 * 1024;

    /// <summary>The payload bytes a drain sends before it lets a waiting send have the lock (it then runs again).</summary>
    private const int DrainTurnBytes = 64 * 1024;

    private PushQueue? _pushes;

    /// <summary>
    /// Hands a pushed message to the single writer without waiting for it to go out: true when it is queued, false when
    /// the connection refused it (closing, ended, lost, or over MaxPendingSendBytes, which starts closing it with 1008).
    /// A queued message that cannot be sent later (the connection failed or ended first) is logged at Debug; the
    /// connection's end is recorded by its own paths. <paramref name="payload"/> must stay unchanged until it is sent.
    /// </summary>
    internal bool TryPush(ReadOnlyMemory<byte> payload, WebSocketMessageType type)
    {
        if (SendRefusal() is not null)
        {
            return false;
        }

        long length = payload.Length;
        var pending = Interlocked.Add(ref _pendingBytes, length);
        if (pending != length && pending > Endpoint.Settings.MaxPendingSendBytes)
        {
            Interlocked.Add(ref _pendingBytes, -length);
            _ = OnPendingLimitExceeded(pending);
            return false;
        }

        (_pushes ?? CreatePushQueue()).Enqueue(payload, type);
        return true;
    }

    /// <summary>The push queue's drain, on the thread pool: takes the send lock and sends what has gathered.</summary>
    internal void DrainPushes()
    {
        if (!_lock.Wait(0, CancellationToken.None))
        {
            Unawaited.Observe(DrainWhenUnlockedAsync());
            return;
        }

        var drain = DrainLockedAsync();
        if (drain.IsCompletedSuccessfully)
        {
            drain.GetAwaiter().GetResult();
        }
        else
        {
            Unawaited.Observe(drain.AsTask());
        }
    }

    private PushQueue CreatePushQueue()
    {
        var created = new PushQueue(this);
        return Interlocked.CompareExchange(ref _pushes, created, null) ?? created;
    }

    private async Task DrainWhenUnlockedAsync()
    {
        await _lock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        await DrainLockedAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// With the send lock held: sends until the queue is empty (which ends the drain) or one turn's bytes were sent
    /// with more waiting (the drain runs again later, behind any send waiting for the lock); then releases the lock.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DrainLockedAsync()
    {
        try
        {
            long sent = 0;
            while (true)
            {
                var (entries, count) = _pushes!.TakeAll(endsDrain: true);
                if (count == 0)
                {
                    return;
                }

                for (var i = 0; i < count; i++)
                {
                    sent += entries[i].Payload.Length;
                }

                await WritePushesAsync(entries, count).ConfigureAwait(false);
                if (sent >= DrainTurnBytes && _pushes.HasEntries)
                {
                    _pushes.Reschedule();
                    return;
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>With the send lock held: sends the pushes queued so far ahead of a send or the close frame.</summary>
    private ValueTask WriteQueuedPushesAsync()
    {
        if (_pushes is not { HasEntries: true } pushes)
        {
            return default;
        }

        var (entries, count) = pushes.TakeAll(endsDrain: false);
        return count == 0 ? default : WritePushesAsync(entries, count);
    }

    /// <summary>
    /// With the send lock held: sends queued messages in order through the platform's WebSocket; the small ones are
    /// gathered by the transport and written together. When the connection is failing, ended, lost or has sent its
    /// close frame, the rest are dropped. Never throws: each message that could not be sent is logged at Debug (event 21).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WritePushesAsync(PushQueue.Entry[] entries, int count)
    {
        var transport = _connection.Transport;
        var batchStart = -1;
        var index = 0;
        string? failure = null;
        try
        {
            for (; index < count; index++)
            {
                if (PushRefusal() is { } refused)
                {
                    failure = refused;
                    break;
                }

                var (payload, type) = entries[index];
                var batched = transport is not null && payload.Length <= BatchedMessageMaxBytes;
                if (batched && batchStart < 0)
                {
                    transport!.BeginBatch();
                    batchStart = index;
                }
                else if (!batched && batchStart >= 0)
                {
                    await FlushBatchAsync(transport!, entries, batchStart, index).ConfigureAwait(false);
                    batchStart = -1;
                }

                if (!batched)
                {
                    Volatile.Write(ref _sendStartedAt, Environment.TickCount64);
                }

                await Socket.SendAsync(payload, type, WebSocketMessageFlags.EndOfMessage, CancellationToken.None).ConfigureAwait(false);
                if (!batched)
                {
                    ThrowIfAbortedWhileSending();
                    Endpoint.Metrics.MessageSent(Endpoint.Name, type, payload.Length);
                }
            }

            if (batchStart >= 0)
            {
                var end = index;
                index = batchStart;
                await FlushBatchAsync(transport!, entries, batchStart, end).ConfigureAwait(false);
                batchStart = -1;
                index = end;
            }
        }
        catch (Exception ex)
        {
            failure = Translate(ex).Message;
            if (batchStart >= 0)
            {
                // Whatever was gathered still goes out (it may hold the platform's own pong or close frame), if it can;
                // the batch's messages count as not sent.
                index = batchStart;
                await EndBatchQuietlyAsync(transport!).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _sendStartedAt, 0);
            long bytes = 0;
            for (var i = 0; i < count; i++)
            {
                bytes += entries[i].Payload.Length;
            }

            Interlocked.Add(ref _pendingBytes, -bytes);
        }

        // Event 21 for each message that was not sent, as for every push (one event per delivery).
        for (var i = index; failure is not null && i < count; i++)
        {
            Log.PushNotSent(Endpoint.Logger, _connection.Id, failure);
        }
    }

    /// <summary>Writes the batch of <c>entries[from..to]</c> to the transport; they count as sent unless the socket was aborted meanwhile.</summary>
    private async ValueTask FlushBatchAsync(TransportStream transport, PushQueue.Entry[] entries, int from, int to)
    {
        Volatile.Write(ref _sendStartedAt, Environment.TickCount64);
        await transport.EndBatchAsync().ConfigureAwait(false);
        ThrowIfAbortedWhileSending();
        for (var i = from; i < to; i++)
        {
            Endpoint.Metrics.MessageSent(Endpoint.Name, entries[i].Type, entries[i].Payload.Length);
        }
    }

    private static async ValueTask EndBatchQuietlyAsync(TransportStream transport)
    {
        try
        {
            await transport.EndBatchAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The transport is gone; the receive side sees the same failure and ends the connection.
        }
    }

    /// <summary>
    /// Why queued pushes can no longer be sent, or null. Unlike a new send, they still go out after a close has started
    /// (they were accepted before it) up to the close frame, unless the server is failing the connection.
    /// </summary>
    private string? PushRefusal() =>
        _connection.Closing.HasEnded ? "the connection has ended"
        : _connection.Closing.IsFailing ? "the connection is being failed"
        : _transportLost.IsCancellationRequested ? LostError().Message
        : Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived) ? ClosedError().Message
        : null;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAfterPushesAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type, long length)
    {
        await WriteQueuedPushesAsync().ConfigureAwait(false);
        await SendLockedNowAsync(payload, type, length).ConfigureAwait(false);
    }
}
