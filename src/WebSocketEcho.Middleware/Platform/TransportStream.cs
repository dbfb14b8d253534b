using System.Buffers;
using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The upgraded connection's byte stream, passed through unchanged to the platform's WebSocket. It adds two
/// things the platform does not offer: it notes the status of a close frame the platform writes (so a protocol
/// error the platform detected can be reported with its exact code), and it can drain what the peer already sent
/// before the server closes TCP (a "lingering close"), so a close frame is not destroyed by a TCP reset.
/// </summary>
internal sealed class TransportStream : Stream
{
    private const byte CloseFrameFirstByte = 0x88; // FIN + opcode 8; server frames are never masked.

    private readonly Stream _inner;
    private int _closeStatusWritten;

    public TransportStream(Stream inner) => _inner = inner;

    /// <summary>Gets the status of the first close frame written to the peer, or <see langword="null"/>.</summary>
    public WebSocketCloseStatus? CloseStatusWritten =>
        Volatile.Read(ref _closeStatusWritten) is var status and > 0 ? (WebSocketCloseStatus)status : null;

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => _inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

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
    /// Reads and discards what the peer sends until it closes its side, until nothing arrives for
    /// <paramref name="quietPeriod"/>, until <paramref name="maxDuration"/> has passed or <paramref name="maxBytes"/> were read.
    /// Never throws. Must only be called when no other read is pending.
    /// </summary>
    public async Task DrainAsync(TimeSpan quietPeriod, TimeSpan maxDuration, int maxBytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        using var timeout = new CancellationTokenSource();
        var deadline = Environment.TickCount64 + (long)maxDuration.TotalMilliseconds;
        try
        {
            var total = 0L;
            while (total < maxBytes)
            {
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    break;
                }

                timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Min(remaining, (long)quietPeriod.TotalMilliseconds)));
                var read = await _inner.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (read == 0 || !timeout.TryReset())
                {
                    break;
                }

                total += read;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer went quiet, closed or reset: draining is over either way.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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
