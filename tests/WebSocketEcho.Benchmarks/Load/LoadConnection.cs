using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// A message the client read: the first frame's opcode, the payload length of the whole message, and, when it was
/// compared with an expected payload, the offset of the first byte that differs (-1: every byte compared matched).
/// </summary>
internal readonly record struct ReceivedMessage(byte Opcode, long Length, long MismatchAt = -1, byte Expected = 0, byte Actual = 0);

/// <summary>
/// One client connection of the load generator, on a raw socket: it writes pre-built masked frames and parses the
/// server's unmasked frames from its own buffer, skipping payloads it does not need to look at. It answers pings,
/// so idle connections survive the servers' keep-alive. One reader and one writer at a time (the caller's loop).
/// </summary>
internal sealed class LoadConnection : IDisposable
{
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;

    private readonly Socket _socket;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    private LoadConnection(Socket socket, int bufferSize)
    {
        _socket = socket;
        _buffer = new byte[bufferSize];
    }

    /// <summary>Connects from <paramref name="source"/> (a 127.0.0.x address spreads ephemeral ports) and performs the upgrade.</summary>
    public static async Task<LoadConnection> OpenAsync(IPEndPoint server, IPAddress source, byte[] upgradeRequest, int bufferSize, CancellationToken cancellationToken)
    {
        var socket = await ConnectAsync(server, source, cancellationToken);
        try
        {
            var connection = new LoadConnection(socket, bufferSize);
            await connection.SendAsync(upgradeRequest, cancellationToken);
            await connection.ReadUpgradeResponseAsync(cancellationToken);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens a TCP connection (no delay) from <paramref name="source"/>; <see cref="IPAddress.Any"/> lets the system choose.</summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint server, IPAddress source, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (!source.Equals(IPAddress.Any))
            {
                // Pick the port at connect time, per destination, instead of reserving one per source address at bind.
                socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, [1, 0, 0, 0]);
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(server, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }

    /// <summary>
    /// Reads the next whole data message (or a close frame), answering pings on the way. Payloads are consumed from the
    /// client's buffer without copying, except that up to <paramref name="capture"/>'s length is copied there when
    /// given; when <paramref name="expected"/> is given, every byte of the payload is compared with it where they
    /// overlap (a vectorized compare of bytes already in memory: cheap next to the round trip, and no allocation).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReceivedMessage> ReadMessageAsync(Memory<byte> capture = default, ReadOnlyMemory<byte> expected = default, CancellationToken cancellationToken = default)
    {
        byte firstOpcode = 0;
        long total = 0;
        var mismatch = new Mismatch(-1, 0, 0);
        while (true)
        {
            await FillAsync(2, cancellationToken);
            var b0 = _buffer[_start];
            var b1 = _buffer[_start + 1];
            var fin = (b0 & 0x80) != 0;
            var opcode = (byte)(b0 & 0x0F);
            var headerLength = 2 + ((b1 & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 }) + ((b1 & 0x80) != 0 ? 4 : 0);
            await FillAsync(headerLength, cancellationToken);
            long length = (b1 & 0x7F) switch
            {
                126 => BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2)),
                127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(_start + 2)),
                var small => small,
            };
            _start += headerLength;

            if (opcode is WireFrames.Ping or WireFrames.Pong or WireFrames.Close)
            {
                var control = new byte[length];
                await ReadExactlyAsync(control, cancellationToken);
                if (opcode == WireFrames.Ping)
                {
                    await SendAsync(WireFrames.Masked(WireFrames.Pong, control), cancellationToken);
                    continue;
                }

                if (opcode == WireFrames.Close)
                {
                    return new ReceivedMessage(WireFrames.Close, length);
                }

                continue;
            }

            if (firstOpcode == 0)
            {
                firstOpcode = opcode;
            }

            var frameMismatch = await SkipAsync(length, total, capture, expected, cancellationToken);
            if (mismatch.At < 0)
            {
                mismatch = frameMismatch;
            }

            total += length;
            if (fin)
            {
                return new ReceivedMessage(firstOpcode, total, mismatch.At, mismatch.Expected, mismatch.Actual);
            }
        }
    }

    /// <summary>
    /// Reads the next data message and checks it is a text message equal to <paramref name="expectedReply"/>, byte for
    /// byte (every reply of every loop; allocation-free).
    /// </summary>
    /// <exception cref="InvalidDataException">The reply is not that text: its opcode, length or a byte differs.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadTextReplyAsync(ReadOnlyMemory<byte> expectedReply, CancellationToken cancellationToken = default)
    {
        var reply = await ReadMessageAsync(default, expectedReply, cancellationToken);
        if (reply.Opcode != WireFrames.Text || reply.Length != expectedReply.Length || reply.MismatchAt >= 0)
        {
            throw new InvalidDataException(DescribeWrongReply(reply, expectedReply.Length));
        }
    }

    /// <summary>Sends one message and checks the reply is exactly <paramref name="expectedReply"/> (each connection's first echo; shows the text it got).</summary>
    public async Task VerifyEchoAsync(byte[] frame, byte[] expectedReply, CancellationToken cancellationToken)
    {
        await SendAsync(frame, cancellationToken);
        var capture = new byte[expectedReply.Length];
        var reply = await ReadMessageAsync(capture, expectedReply, cancellationToken);
        if (reply.Opcode != WireFrames.Text || reply.Length != expectedReply.Length || reply.MismatchAt >= 0)
        {
            throw new InvalidDataException($"{DescribeWrongReply(reply, expectedReply.Length)} Got \"{Encoding.UTF8.GetString(capture, 0, (int)Math.Min(capture.Length, reply.Length))}\".");
        }
    }

    /// <summary>The client side of the close handshake: send 1000, read the server's close frame, then wait for the server to close TCP.</summary>
    public async Task CloseAsync(byte[] closeFrame, CancellationToken cancellationToken)
    {
        await SendAsync(closeFrame, cancellationToken);
        while (true)
        {
            var message = await ReadMessageAsync(default, default, cancellationToken);
            if (message.Opcode == WireFrames.Close)
            {
                break;
            }
        }

        // RFC 6455 section 7.1.1: the server closes TCP first (so the TIME_WAIT is on its side).
        while (_end - _start > 0 || await _socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cancellationToken) > 0)
        {
            _start = _end = 0;
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task ReadUpgradeResponseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                var head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
                if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"The upgrade was refused: {head.Split('\r')[0]}");
                }

                _start += headEnd + 4;
                return;
            }

            if (_end == _buffer.Length)
            {
                throw new InvalidDataException("The upgrade response head is too long.");
            }

            await ReceiveMoreAsync(cancellationToken);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            await ReceiveMoreAsync(cancellationToken);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceiveMoreAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            // Compact: keep the unread bytes at the front so the buffer never needs to grow.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new EndOfStreamException("The server closed the connection.");
        }

        _end += read;
    }

    private static string DescribeWrongReply(ReceivedMessage reply, int expectedLength) =>
        reply.Opcode != WireFrames.Text ? $"Wrong echo reply: expected a text message of {expectedLength} bytes, got opcode {reply.Opcode} with {reply.Length} bytes."
        : reply.MismatchAt >= 0 ? $"Wrong echo reply: byte {reply.MismatchAt} of {reply.Length} is 0x{reply.Actual:X2}, expected 0x{reply.Expected:X2}."
        : $"Wrong echo reply: expected {expectedLength} bytes, got {reply.Length}.";

    /// <summary>
    /// Consumes <paramref name="length"/> payload bytes that start at <paramref name="offset"/> in their message: copies
    /// the part that falls within <paramref name="capture"/>, compares the part that falls within
    /// <paramref name="expected"/>, and returns the first difference (At = -1 when none).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Mismatch> SkipAsync(long length, long offset, Memory<byte> capture, ReadOnlyMemory<byte> expected, CancellationToken cancellationToken)
    {
        var mismatch = new Mismatch(-1, 0, 0);
        while (length > 0)
        {
            if (_end == _start)
            {
                _start = _end = 0;
                await ReceiveMoreAsync(cancellationToken);
            }

            var take = (int)Math.Min(length, _end - _start);
            if (offset < capture.Length)
            {
                var copy = (int)Math.Min(take, capture.Length - offset);
                _buffer.AsSpan(_start, copy).CopyTo(capture.Span[(int)offset..]);
            }

            if (mismatch.At < 0 && offset < expected.Length)
            {
                var received = _buffer.AsSpan(_start, (int)Math.Min(take, expected.Length - offset));
                var wanted = expected.Span.Slice((int)offset, received.Length);
                var same = received.CommonPrefixLength(wanted);
                if (same < received.Length)
                {
                    mismatch = new Mismatch(offset + same, wanted[same], received[same]);
                }
            }

            _start += take;
            offset += take;
            length -= take;
        }

        return mismatch;
    }

    private async Task ReadExactlyAsync(byte[] destination, CancellationToken cancellationToken) =>
        await SkipAsync(destination.Length, 0, destination, default, cancellationToken);

    /// <summary>The first payload byte that differs from the expected one: its offset in the message (-1: none) and both values.</summary>
    private readonly record struct Mismatch(long At, byte Expected, byte Actual);
}
