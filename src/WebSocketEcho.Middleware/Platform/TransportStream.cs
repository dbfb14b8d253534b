using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The upgraded connection's byte stream, passed through unchanged to the platform's WebSocket. It adds what the
/// platform does not offer: it notes the status of a close frame the platform writes (so a protocol error the
/// platform detected can be reported with its exact code); it counts the frames of every message the peer sends
/// (<see cref="IncomingFrameCounter"/>), which the platform's receive results cannot tell exactly; it can end the
/// platform's pending read without aborting the connection (<see cref="StopReads"/>; the platform's
/// <c>WebSocket.Abort</c> cannot, see https://github.com/dotnet/runtime/issues/44272, and an abort ends TCP with a
/// reset); and it can drain what the peer still sends before the server closes TCP (a "lingering close"), so a close
/// frame is not destroyed by a TCP reset. While a connection's push drain runs (<see cref="BeginBatch"/> to
/// <see cref="EndBatchAsync"/>) it gathers the whole frames the platform writes into one pooled buffer and writes them
/// to the transport at once; every write to the transport goes through one gate, so frames never interleave.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Reliability",
    "CA2213:Disposable fields should be disposed",
    Justification = "The read-stopping source and the write gate are not disposed: a platform read or write may still be registered on them when the stream is disposed. Neither holds a timer or wait handle in this use.")]
internal sealed class TransportStream : Stream
{
    private const byte CloseFrameFirstByte = 0x88; // FIN + opcode 8; server frames are never masked.
    private const int BatchInitialBytes = 16 * 1024;

    private readonly Stream _inner;
    private readonly CancellationTokenSource _readsStopped = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _batchLock = new();
    private byte[]? _batch;
    private int _batchLength;
    private IncomingFrameCounter _frames;
    private int _closeStatusWritten;

    public TransportStream(Stream inner, int maxFragmentsPerMessage)
    {
        _inner = inner;
        _frames = new IncomingFrameCounter(maxFragmentsPerMessage);
    }

    /// <summary>Gets the status of the first close frame written to the peer, or <see langword="null"/>.</summary>
    public WebSocketCloseStatus? CloseStatusWritten =>
        Volatile.Read(ref _closeStatusWritten) is var status and > 0 ? (WebSocketCloseStatus)status : null;

    /// <summary>
    /// Gets the number (1 for the connection's first data message) of the first message the peer split into more
    /// frames than the limit, as soon as the platform has read the header of the frame over it; 0 while none has.
    /// </summary>
    public long FirstMessageOverFragmentLimit => _frames.FirstMessageOverLimit;

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => _inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // The platform's WebSocket reads with the token its caller gave (CancellationToken.None in the receive loop); such
    // reads are made cancellable by StopReads. Cancelling a read leaves the underlying stream readable.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = _inner.ReadAsync(buffer, cancellationToken.CanBeCanceled ? cancellationToken : _readsStopped.Token);
        if (buffer.IsEmpty)
        {
            // The zero-byte read an idle connection waits in: no bytes to follow, and no state machine held while idle.
            return read;
        }

        if (!read.IsCompletedSuccessfully)
        {
            return CountFramesWhenReadAsync(read, buffer);
        }

        var count = read.Result;
        _frames.Advance(buffer.Span[..count]);
        return new ValueTask<int>(count);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = _inner.Read(buffer, offset, count);
        _frames.Advance(buffer.AsSpan(offset, read));
        return read;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        NoteCloseFrame(buffer.Span);
        return TryAppendToBatch(buffer.Span) ? default : WriteThroughAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        NoteCloseFrame(buffer.AsSpan(offset, count));
        if (TryAppendToBatch(buffer.AsSpan(offset, count)))
        {
            return;
        }

        _writeGate.Wait();
        try
        {
            _inner.Write(buffer, offset, count);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _batch) is not null ? Task.CompletedTask : FlushThroughAsync(cancellationToken);

    public override void Flush()
    {
        if (Volatile.Read(ref _batch) is not null)
        {
            return;
        }

        _writeGate.Wait();
        try
        {
            _inner.Flush();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Starts gathering what the platform writes (whole frames: it writes each frame, its own pings, pongs and close
    /// frames too, in one call under its send lock) into one pooled buffer instead of writing it to the transport.
    /// Only the connection's push drain calls it, holding the connection's send lock, and ends it with
    /// <see cref="EndBatchAsync"/> before it lets go of that lock.
    /// </summary>
    public void BeginBatch()
    {
        lock (_batchLock)
        {
            _batch ??= ArrayPool<byte>.Shared.Rent(BatchInitialBytes);
            _batchLength = 0;
        }
    }

    /// <summary>Ends the batch: writes what was gathered to the transport in one write (after any write in progress).</summary>
    public ValueTask EndBatchAsync()
    {
        byte[]? batch;
        int length;
        lock (_batchLock)
        {
            batch = _batch;
            length = _batchLength;
            _batch = null;
            _batchLength = 0;
        }

        if (batch is null || length == 0)
        {
            if (batch is not null)
            {
                ArrayPool<byte>.Shared.Return(batch);
            }

            return default;
        }

        return WriteBatchAsync(batch, length);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Makes the platform's pending read, and every later one, fail with an <see cref="OperationCanceledException"/>
    /// (the platform's WebSocket passes that on without aborting), so a receive loop waiting for a peer that sends
    /// nothing ends without a TCP reset. <see cref="DrainAsync"/> still reads.
    /// </summary>
    /// <remarks>
    /// A workaround: <c>WebSocket.Abort</c> does not end a pending receive
    /// (https://github.com/dotnet/runtime/issues/44272, open), and where it does end one (ASP.NET Core's
    /// <c>AbortStream</c>), it aborts the request, which Kestrel ends with a TCP reset (see <see cref="LifetimeGate"/>).
    /// </remarks>
    public void StopReads()
    {
        try
        {
            _readsStopped.Cancel();
        }
        catch (AggregateException)
        {
            // A read's cancellation callback threw; the read is cancelled regardless.
        }
    }

    /// <summary>
    /// Reads and discards what the peer sends until its close frame has gone by (it waits for the server to close TCP
    /// then; a close frame inside the payload of a frame the peer never finished does not count), until it closes its
    /// side, until nothing arrives for <paramref name="quietPeriod"/>, until <paramref name="maxDuration"/> has passed or
    /// <paramref name="maxBytes"/> were read. Never throws. Must only be called when no other read is pending.
    /// </summary>
    /// <returns><see langword="true"/> if the peer was still sending when draining stopped (a time or byte bound was reached).</returns>
    public async Task<bool> DrainAsync(TimeSpan quietPeriod, TimeSpan maxDuration, int maxBytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        using var timeout = new CancellationTokenSource();
        var deadline = Environment.TickCount64 + (long)maxDuration.TotalMilliseconds;
        var quietMs = (long)quietPeriod.TotalMilliseconds;
        var lastWait = false;
        try
        {
            for (var total = 0L; total < maxBytes && !_frames.CloseFrameReceived; )
            {
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return true;
                }

                // The last wait is cut short by the deadline: if it ends without data, the peer was not quiet for long.
                lastWait = remaining < quietMs;
                timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Min(remaining, quietMs)));
                var read = await _inner.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return false;
                }

                if (!timeout.TryReset())
                {
                    return lastWait;
                }

                _frames.Advance(buffer.AsSpan(0, read));
                total += read;
            }

            return !_frames.CloseFrameReceived;
        }
        catch (OperationCanceledException)
        {
            return lastWait;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer closed or reset, or the connection was aborted: draining is over.
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Pooled state machine: a read that has to wait for data costs no allocation per message.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> CountFramesWhenReadAsync(ValueTask<int> read, Memory<byte> buffer)
    {
        var count = await read.ConfigureAwait(false);
        _frames.Advance(buffer.Span[..count]);
        return count;
    }

    /// <summary>Appends <paramref name="data"/> to the batch, growing it, if a batch is being gathered.</summary>
    private bool TryAppendToBatch(ReadOnlySpan<byte> data)
    {
        if (Volatile.Read(ref _batch) is null)
        {
            return false;
        }

        lock (_batchLock)
        {
            if (_batch is not { } batch)
            {
                return false;
            }

            if (_batchLength + data.Length > batch.Length)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Max(batch.Length * 2, _batchLength + data.Length));
                batch.AsSpan(0, _batchLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(batch);
                _batch = batch = grown;
            }

            data.CopyTo(batch.AsSpan(_batchLength));
            _batchLength += data.Length;
            return true;
        }
    }

    /// <summary>Writes to the transport through the gate; 0 B allocated when the write completes at once.</summary>
    private ValueTask WriteThroughAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_writeGate.Wait(0, CancellationToken.None))
        {
            return WriteWhenGateOpensAsync(buffer, cancellationToken);
        }

        ValueTask write;
        try
        {
            write = _inner.WriteAsync(buffer, cancellationToken);
        }
        catch
        {
            _writeGate.Release();
            throw;
        }

        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            _writeGate.Release();
            return default;
        }

        return ReleaseGateWhenWrittenAsync(write);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReleaseGateWhenWrittenAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteWhenGateOpensAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteBatchAsync(byte[] batch, int length)
    {
        try
        {
            await WriteThroughAsync(batch.AsMemory(0, length), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    private async Task FlushThroughAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void NoteCloseFrame(ReadOnlySpan<byte> frame)
    {
        if (frame.Length >= 4 && frame[0] == CloseFrameFirstByte && (frame[1] & 0x7F) >= 2 && Volatile.Read(ref _closeStatusWritten) == 0)
        {
            Interlocked.CompareExchange(ref _closeStatusWritten, (frame[2] << 8) | frame[3], 0);
        }
    }
}
