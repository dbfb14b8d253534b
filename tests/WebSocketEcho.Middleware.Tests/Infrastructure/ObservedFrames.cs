using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>
/// What a real <see cref="ClientWebSocket"/> received and sent on the wire, frame by frame: its connection goes through
/// <see cref="ConnectAsync"/>'s transport, which reads the frame headers as the bytes pass (after the HTTP upgrade
/// head) and changes nothing. Lets a test wait for protocol events the WebSocket API does not surface (pings answered
/// with pongs) instead of sleeping.
/// </summary>
internal sealed class ObservedFrames
{
    private readonly Lock _gate = new();
    private readonly List<(byte Opcode, TimeSpan At)> _received = [];
    private readonly List<(byte Opcode, TimeSpan At)> _sent = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public int Received(byte opcode) => Count(_received, opcode);

    public int Sent(byte opcode) => Count(_sent, opcode);

    /// <summary>Gets the time from the first to the last frame with <paramref name="opcode"/> the client sent (zero before two).</summary>
    public TimeSpan SentSpan(byte opcode)
    {
        lock (_gate)
        {
            var times = _sent.Where(f => f.Opcode == opcode).Select(f => f.At).ToList();
            return times.Count < 2 ? TimeSpan.Zero : times[^1] - times[0];
        }
    }

    /// <summary>Connects <paramref name="client"/> to <paramref name="uri"/> over a TCP connection whose frames land in a new <see cref="ObservedFrames"/>.</summary>
    public static async Task<ObservedFrames> ConnectAsync(ClientWebSocket client, Uri uri, CancellationToken cancellationToken)
    {
        var frames = new ObservedFrames();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new ObservingStream(new NetworkStream(socket, ownsSocket: true), frames);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // Disposed once connected, as ClientWebSocket does with its own handler: the upgraded connection is no longer the pool's.
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        await client.ConnectAsync(uri, invoker, cancellationToken);
        return frames;
    }

    /// <summary>Completes when <paramref name="condition"/> holds (checked after each frame).</summary>
    public Task WhenAsync(Func<ObservedFrames, bool> condition)
    {
        lock (_gate)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((() => condition(this), done));
            Check();
            return done.Task;
        }
    }

    private int Count(List<(byte Opcode, TimeSpan At)> frames, byte opcode)
    {
        lock (_gate)
        {
            return frames.Count(f => f.Opcode == opcode);
        }
    }

    private void Record(bool sent, byte opcode)
    {
        lock (_gate)
        {
            (sent ? _sent : _received).Add((opcode, _clock.Elapsed));
            Check();
        }
    }

    private void Check()
    {
        // Called with _gate held (a Lock is re-entrant, so conditions may read the counts).
        foreach (var waiter in _waiters.Where(w => w.Condition()).ToList())
        {
            _waiters.Remove(waiter);
            waiter.Done.TrySetResult();
        }
    }

    /// <summary>Finds frame headers in one direction of the byte stream, after the HTTP head (request or response).</summary>
    private sealed class FrameScanner(ObservedFrames frames, bool sent)
    {
        private readonly byte[] _header = new byte[14];
        private int _headEnd; // how many bytes of "\r\n\r\n" were matched; 4 once the HTTP head is over
        private int _filled;
        private long _payloadLeft;

        public void Scan(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                if (_headEnd < 4)
                {
                    _headEnd = bytes[0] == "\r\n\r\n"u8[_headEnd] ? _headEnd + 1 : bytes[0] == (byte)'\r' ? 1 : 0;
                    bytes = bytes[1..];
                }
                else if (_payloadLeft > 0)
                {
                    var skip = (int)Math.Min(_payloadLeft, bytes.Length);
                    _payloadLeft -= skip;
                    bytes = bytes[skip..];
                }
                else
                {
                    _header[_filled++] = bytes[0];
                    bytes = bytes[1..];
                    if (_filled >= 2 && _filled == HeaderLength())
                    {
                        _payloadLeft = (_header[1] & 0x7F) switch
                        {
                            126 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
                            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)),
                            var length => length,
                        };
                        _filled = 0;
                        frames.Record(sent, (byte)(_header[0] & 0x0F));
                    }
                }
            }
        }

        private int HeaderLength() => 2 + ((_header[1] & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 }) + ((_header[1] & 0x80) != 0 ? 4 : 0);
    }

    /// <summary>Passes every byte through unchanged and shows each direction to a <see cref="FrameScanner"/>.</summary>
    private sealed class ObservingStream(Stream inner, ObservedFrames frames) : Stream
    {
        private readonly FrameScanner _incoming = new(frames, sent: false);
        private readonly FrameScanner _outgoing = new(frames, sent: true);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            _incoming.Scan(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            _incoming.Scan(buffer.AsSpan(offset, read));
            return read;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _outgoing.Scan(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            _outgoing.Scan(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
