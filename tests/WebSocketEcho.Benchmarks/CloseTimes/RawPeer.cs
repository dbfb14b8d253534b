using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.CloseTimes;

/// <summary>How the server ended TCP, as the peer saw it.</summary>
internal enum TcpEnd
{
    /// <summary>A read returned 0: the server sent FIN.</summary>
    Fin,

    /// <summary>A read failed with a connection reset: the server sent RST.</summary>
    Rst,

    /// <summary>TCP was still open when the peer stopped waiting.</summary>
    Open,
}

/// <summary>
/// The peer of a close-time measurement: a raw TCP socket that upgrades, writes whatever bytes it is given (frames the
/// platform would refuse to write) and reads the server's frames, skipping data frames, until the close frame and
/// then until TCP ends. Reading and writing may run at the same time (one reader, one writer).
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawPeer(Socket socket) => _stream = new NetworkStream(socket, ownsSocket: true);

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and upgrades at <paramref name="path"/>; throws unless the answer is 101.</summary>
    public static async Task<RawPeer> ConnectAsync(int port, string path, int? receiveBufferSize, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            // Set before connecting, so the window the server sees is small from the start.
            socket.ReceiveBufferSize = size;
        }

        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var peer = new RawPeer(socket);
        try
        {
            await peer.WriteAsync(WireFrames.UpgradeRequest($"127.0.0.1:{port}", path), cancellationToken);
            var head = await peer.ReadResponseHeadAsync(cancellationToken);
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The upgrade at {path} was answered with \"{head.Split('\r')[0]}\", not 101.");
            }

            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (!bytes.IsEmpty)
        {
            await _stream.WriteAsync(bytes, cancellationToken);
        }
    }

    /// <summary>
    /// Reads frames until the server's close frame and returns its status code (0 when it carries none); null when TCP
    /// ended first. Throws <see cref="TimeoutException"/> when nothing of the kind happened within <paramref name="timeout"/>.
    /// </summary>
    public async Task<int?> ReadUntilCloseAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (!await FillAsync(2, cts.Token))
                {
                    return null;
                }

                var opcode = _buffer[_start] & 0x0F;
                var lengthByte = _buffer[_start + 1] & 0x7F;
                var headerLength = 2 + (lengthByte == 126 ? 2 : lengthByte == 127 ? 8 : 0) + ((_buffer[_start + 1] & 0x80) != 0 ? 4 : 0);
                if (!await FillAsync(headerLength, cts.Token))
                {
                    return null;
                }

                long length = lengthByte switch
                {
                    126 => BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2)),
                    127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(_start + 2)),
                    _ => lengthByte,
                };
                _start += headerLength;
                if (opcode == WireFrames.Close)
                {
                    // Server frames are never masked; a close payload is at most 125 bytes.
                    if (!await FillAsync((int)length, cts.Token))
                    {
                        return null;
                    }

                    var status = length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start)) : 0;
                    _start += (int)length;
                    return status;
                }

                if (!await SkipAsync(length, cts.Token))
                {
                    return null;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Neither a close frame nor the end of TCP within {timeout.TotalSeconds:0} s.");
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads (and discards) until the server ends TCP, or <paramref name="timeout"/> passes.</summary>
    public async Task<TcpEnd> WaitForEndAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _start = _end = 0;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (await _stream.ReadAsync(_buffer, cts.Token) > 0)
            {
            }

            return TcpEnd.Fin;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TcpEnd.Open;
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return TcpEnd.Rst;
        }
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string> ReadResponseHeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(_buffer, _start, end);
                _start += end + 4;
                return head;
            }

            if (!await FillAsync(_end - _start + 1, cancellationToken))
            {
                throw new InvalidOperationException("The server closed TCP before answering the upgrade.");
            }
        }
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available from <c>_start</c>; false when TCP ended first.</summary>
    private async Task<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
        _end -= _start;
        _start = 0;
        while (_end < count)
        {
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    private async Task<bool> SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(1, cancellationToken))
            {
                return false;
            }

            var skipped = (int)Math.Min(count, _end - _start);
            _start += skipped;
            count -= skipped;
        }

        return true;
    }
}
