using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace WebSocketEcho.Benchmarks.Micro;

/// <summary>
/// One end of an in-memory connection: reads from one pipe, writes to the other. Continuations run inline, so a
/// client send runs the server's whole receive-handle-reply path synchronously on the benchmark thread, and the
/// harness itself allocates nothing per message. A zero-byte read waits for data without consuming it.
/// </summary>
internal sealed class InMemoryDuplexStream : Stream
{
    private static readonly PipeOptions s_options = new(
        readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, useSynchronizationContext: false);

    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;

    private InMemoryDuplexStream(PipeReader reader, PipeWriter writer)
    {
        _reader = reader;
        _writer = writer;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Creates both ends of a connection.</summary>
    public static (Stream Client, Stream Server) CreatePair()
    {
        var toServer = new Pipe(s_options);
        var toClient = new Pipe(s_options);
        return (new InMemoryDuplexStream(toClient.Reader, toServer.Writer), new InMemoryDuplexStream(toServer.Reader, toClient.Writer));
    }

    // Pooled state machine: a server waiting for the next message must not allocate a box per message here.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await _reader.ReadAsync(cancellationToken);
        var data = result.Buffer;
        if (data.IsEmpty && result.IsCompleted)
        {
            _reader.AdvanceTo(data.End);
            return 0;
        }

        var count = (int)Math.Min(data.Length, buffer.Length);
        data.Slice(0, count).CopyTo(buffer.Span);
        var consumed = data.GetPosition(count);
        _reader.AdvanceTo(consumed, count == 0 ? data.Start : consumed);
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Async only.");

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var flush = _writer.WriteAsync(buffer, cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            _ = flush.Result;
            return default;
        }

        return AwaitFlushAsync(flush);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Async only.");

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer.Complete();
            _reader.Complete();
        }

        base.Dispose(disposing);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush) => await flush;
}
