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
/// frame is not destroyed by a TCP reset.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Reliability",
    "CA2213:Disposable fields should be disposed",
    Justification = "The read-stopping source is not disposed: a platform read may still be registered on it when the stream is disposed. It holds no timer or wait handle.")]
internal sealed class TransportStream : Stream
{
    private const byte CloseFrameFirstByte = 0x88; // FIN + opcode 8; server frames are never masked.

    private readonly Stream _inner;
    private readonly CancellationTokenSource _readsStopped = new();
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
        return _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        NoteCloseFrame(buffer.AsSpan(offset, count));
        return _inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        NoteCloseFrame(buffer.AsSpan(offset, count));
        _inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Makes the platform's pending read, and every later one, fail with an <see cref="OperationCanceledException"/>
    /// (the platform's WebSocket passes that on without aborting), so a receive loop waiting for a peer that sends
    /// nothing ends without a TCP reset. <see cref="DrainAsync"/> still reads.
    /// </summary>
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
