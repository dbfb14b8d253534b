using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>The first frame of a message the client read: its opcode and the payload length of the whole message.</summary>
internal readonly record struct ReceivedMessage(byte Opcode, long Length);

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
    /// Reads the next whole data message (or a close frame), answering pings on the way. Payloads are skipped,
    /// except that up to <paramref name="capture"/>'s length is copied there when given.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReceivedMessage> ReadMessageAsync(Memory<byte> capture = default, CancellationToken cancellationToken = default)
    {
        byte firstOpcode = 0;
        long total = 0;
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

            await SkipAsync(length, total, capture, cancellationToken);
            total += length;
            if (fin)
            {
                return new ReceivedMessage(firstOpcode, total);
            }
        }
    }

    /// <summary>Reads the next data message and checks it is text of <paramref name="expectedLength"/> bytes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadTextReplyAsync(long expectedLength, CancellationToken cancellationToken = default)
    {
        var reply = await ReadMessageAsync(default, cancellationToken);
        if (reply.Opcode != WireFrames.Text || reply.Length != expectedLength)
        {
            throw new InvalidDataException($"Expected a text reply of {expectedLength} bytes, got opcode {reply.Opcode} with {reply.Length} bytes.");
        }
    }

    /// <summary>Sends one message and checks the reply is exactly <paramref name="expectedReply"/> (used once per connection).</summary>
    public async Task VerifyEchoAsync(byte[] frame, byte[] expectedReply, CancellationToken cancellationToken)
    {
        await SendAsync(frame, cancellationToken);
        var capture = new byte[expectedReply.Length];
        var reply = await ReadMessageAsync(capture, cancellationToken);
        if (reply.Opcode != WireFrames.Text || reply.Length != expectedReply.Length || !capture.AsSpan().SequenceEqual(expectedReply))
        {
            throw new InvalidDataException($"The echo reply is wrong: opcode {reply.Opcode}, {reply.Length} bytes, \"{Encoding.UTF8.GetString(capture)}\".");
        }
    }

    /// <summary>The client side of the close handshake: send 1000, read the server's close frame, then wait for the server to close TCP.</summary>
    public async Task CloseAsync(byte[] closeFrame, CancellationToken cancellationToken)
    {
        await SendAsync(closeFrame, cancellationToken);
        while (true)
        {
            var message = await ReadMessageAsync(default, cancellationToken);
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SkipAsync(long length, long offset, Memory<byte> capture, CancellationToken cancellationToken)
    {
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

            _start += take;
            offset += take;
            length -= take;
        }
    }

    private async Task ReadExactlyAsync(byte[] destination, CancellationToken cancellationToken) =>
        await SkipAsync(destination.Length, 0, destination, cancellationToken);
}
