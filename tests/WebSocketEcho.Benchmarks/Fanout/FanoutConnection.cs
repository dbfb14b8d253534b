using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// One receiving client connection of the fan-out load, on a raw socket. Its receive loop parses the server's frames in
/// place from an 8 KiB buffer, answers pings, and hands each message (the middleware: one WebSocket message; SignalR:
/// one 0x1E-terminated JSON record, however the frames cut them) to <see cref="OnRecord"/>, which checks it and
/// reports to the shared <see cref="DeliveryTally"/>. Only the receive loop reads; writes (pongs, SignalR pings) are tiny
/// and serialized by a lock.
/// </summary>
internal sealed class FanoutConnection : IDisposable
{
    private const int BufferSize = 8 * 1024;
    private const byte RecordSeparator = 0x1E;

    private static readonly byte[] s_signalRHandshake = WireFrames.Masked(WireFrames.Text, "{\"protocol\":\"json\",\"version\":1}\u001e"u8);
    private static readonly byte[] s_signalRPing = WireFrames.Masked(WireFrames.Text, "{\"type\":6}\u001e"u8);
    private static readonly byte[] s_signalRInvocationStart = Encoding.ASCII.GetBytes($"{{\"type\":1,\"target\":\"{FanoutSettings.Method}\",\"arguments\":[\"");
    private static readonly byte[] s_signalRReady = Encoding.ASCII.GetBytes($"{{\"type\":1,\"target\":\"{FanoutSettings.Ready}\",\"arguments\":[]}}");

    private readonly Socket _socket;
    private readonly FanoutServerKind _kind;
    private readonly DeliveryTally _tally;
    private readonly int _index;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly Lock _writeLock = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;
    private int _start;
    private int _end;
    private long _frameRemaining;
    private bool _frameFin;
    private bool _inMessage;
    private byte[]? _partial;
    private int _partialLength;
    private Stage _stage;
    private long _expected;
    private volatile bool _closing;

    private FanoutConnection(Socket socket, FanoutServerKind kind, DeliveryTally tally, int index, long firstSequence)
    {
        _socket = socket;
        _kind = kind;
        _tally = tally;
        _index = index;
        _expected = firstSequence;
        _stage = kind == FanoutServerKind.SignalR ? Stage.Handshake : Stage.AwaitingReady;
    }

    private enum Stage
    {
        Handshake,
        AwaitingReady,
        Receiving,
    }

    /// <summary>Gets a value indicating whether the connection is still open (not dropped by the server, not disposed).</summary>
    public bool IsOpen => !_receiving.IsCompleted;

    /// <summary>
    /// Connects, upgrades to <paramref name="pathAndQuery"/>, (SignalR) performs the hub handshake, and waits for the
    /// server's <c>ready</c>: the connection is then in its groups. Messages from <paramref name="firstSequence"/> on
    /// are expected.
    /// </summary>
    public static async Task<FanoutConnection> OpenAsync(
        FanoutServerKind kind, IPEndPoint server, IPAddress source, string pathAndQuery, DeliveryTally tally, int index, long firstSequence, CancellationToken cancellationToken)
    {
        var socket = await LoadConnection.ConnectAsync(server, source, cancellationToken);
        var connection = new FanoutConnection(socket, kind, tally, index, firstSequence);
        try
        {
            await socket.SendAsync(WireFrames.UpgradeRequest($"127.0.0.1:{server.Port}", pathAndQuery), cancellationToken);
            await connection.ReadUpgradeResponseAsync(cancellationToken);
            if (kind == FanoutServerKind.SignalR)
            {
                await socket.SendAsync(s_signalRHandshake, cancellationToken);
            }

            connection._receiving = connection.ReceiveLoopAsync();
            await connection._ready.Task.WaitAsync(cancellationToken);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Sends a SignalR hub ping (the SignalR client sends one every 15 s so the server does not time it out).</summary>
    public void SendHubPing()
    {
        if (_kind == FanoutServerKind.SignalR)
        {
            Write(s_signalRPing);
        }
    }

    public void Dispose()
    {
        _closing = true;
        _socket.Dispose();
    }

    private async Task ReadUpgradeResponseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection during the upgrade.");
            }

            _end += read;
            var headEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                if (!_buffer.AsSpan().StartsWith("HTTP/1.1 101 "u8))
                {
                    throw new InvalidDataException($"The upgrade was refused: {Encoding.ASCII.GetString(_buffer, 0, headEnd).Split('\r')[0]}");
                }

                _start = headEnd + 4;
                return;
            }

            if (_end == _buffer.Length)
            {
                throw new InvalidDataException("The upgrade response head is too long.");
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        string? failure = null;
        try
        {
            while (failure is null)
            {
                failure = Parse();
                if (failure is not null)
                {
                    break;
                }

                var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
                if (read == 0)
                {
                    failure = "the server closed the TCP connection";
                    break;
                }

                _end += read;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            failure = ex.Message;
        }

        if (!_closing)
        {
            var detail = string.Create(CultureInfo.InvariantCulture, $"connection {_index} ({_kind}) dropped: {failure}");
            _tally.Fail(detail);
            _ready.TrySetException(new IOException(detail));
        }

        _ready.TrySetCanceled();
    }

    /// <summary>Consumes every whole header and every payload byte in the buffer; returns a protocol failure, or null.</summary>
    private string? Parse()
    {
        while (true)
        {
            var available = _end - _start;
            if (_frameRemaining > 0)
            {
                if (available == 0)
                {
                    break;
                }

                var take = (int)Math.Min(available, _frameRemaining);
                _frameRemaining -= take;
                var problem = OnData(_buffer.AsSpan(_start, take), _frameRemaining == 0 && _frameFin);
                _start += take;
                if (problem is not null)
                {
                    return problem;
                }

                continue;
            }

            if (available < 2)
            {
                break;
            }

            var b0 = _buffer[_start];
            var b1 = _buffer[_start + 1];
            var fin = (b0 & 0x80) != 0;
            var opcode = (byte)(b0 & 0x0F);
            if ((b1 & 0x80) != 0 || (b0 & 0x70) != 0)
            {
                return $"a server frame is masked or has RSV bits set (0x{b0:x2} 0x{b1:x2})";
            }

            var headerLength = 2 + ((b1 & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 });
            if (available < headerLength)
            {
                break;
            }

            long length = (b1 & 0x7F) switch
            {
                126 => BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2)),
                127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(_start + 2)),
                var small => small,
            };

            if (opcode >= 0x8)
            {
                if (available < headerLength + length)
                {
                    break;
                }

                var payload = _buffer.AsSpan(_start + headerLength, (int)length);
                _start += headerLength + (int)length;
                if (opcode == WireFrames.Ping)
                {
                    Write(WireFrames.Masked(WireFrames.Pong, payload));
                }
                else if (opcode == WireFrames.Close)
                {
                    return $"the server sent a close frame ({(length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 1005)})";
                }

                continue;
            }

            if (opcode == 0 ? !_inMessage : opcode != WireFrames.Text || _inMessage)
            {
                return $"unexpected frame opcode {opcode} ({(_inMessage ? "inside" : "outside")} a message); every message must be text";
            }

            _start += headerLength;
            _inMessage = !fin;
            _frameFin = fin;
            _frameRemaining = length;
            if (length == 0)
            {
                var problem = OnData([], fin);
                if (problem is not null)
                {
                    return problem;
                }
            }
        }

        // Keep the few unconsumed bytes (a partial header) at the front: the rest of the buffer is free for the next read.
        var left = _end - _start;
        if (left > 0 && _start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, left);
        }

        _start = 0;
        _end = left;
        return null;
    }

    /// <summary>Payload bytes of a text message; cut into records (SignalR: at 0x1E; the middleware: at the end of the message).</summary>
    private string? OnData(ReadOnlySpan<byte> data, bool messageEnd)
    {
        if (_kind == FanoutServerKind.Middleware)
        {
            if (!messageEnd)
            {
                return Append(data);
            }

            if (_partialLength == 0)
            {
                return OnRecord(data);
            }

            var problem = Append(data) ?? OnRecord(_partial.AsSpan(0, _partialLength));
            _partialLength = 0;
            return problem;
        }

        while (true)
        {
            var separator = data.IndexOf(RecordSeparator);
            if (separator < 0)
            {
                return Append(data);
            }

            string? problem;
            if (_partialLength == 0)
            {
                problem = OnRecord(data[..separator]);
            }
            else
            {
                problem = Append(data[..separator]) ?? OnRecord(_partial.AsSpan(0, _partialLength));
                _partialLength = 0;
            }

            if (problem is not null)
            {
                return problem;
            }

            data = data[(separator + 1)..];
        }
    }

    private string? Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return null;
        }

        var needed = _partialLength + data.Length;
        if (needed > FanoutPayload.MaxSize + 256)
        {
            return $"a message or record longer than {FanoutPayload.MaxSize + 256} bytes";
        }

        if (_partial is null || _partial.Length < needed)
        {
            Array.Resize(ref _partial, Math.Max(needed, 2048));
        }

        data.CopyTo(_partial.AsSpan(_partialLength));
        _partialLength = needed;
        return null;
    }

    /// <summary>One message (the middleware) or one hub record (SignalR), without its separator.</summary>
    private string? OnRecord(ReadOnlySpan<byte> record)
    {
        if (_kind == FanoutServerKind.SignalR)
        {
            if (record.SequenceEqual("{\"type\":6}"u8))
            {
                return null; // The server's keep-alive.
            }

            switch (_stage)
            {
                case Stage.Handshake:
                    if (!record.SequenceEqual("{}"u8))
                    {
                        return $"the hub handshake failed: {Encoding.UTF8.GetString(record)}";
                    }

                    _stage = Stage.AwaitingReady;
                    return null;
                case Stage.AwaitingReady:
                    return Ready(record.SequenceEqual(s_signalRReady), record);
            }

            if (!record.StartsWith(s_signalRInvocationStart) || !record.EndsWith("\"]}"u8) || record.Length < s_signalRInvocationStart.Length + 3)
            {
                return Wrong($"a record that is not an invocation of '{FanoutSettings.Method}' with one string: {Encoding.UTF8.GetString(record[..Math.Min(record.Length, 80)])}");
            }

            record = record[s_signalRInvocationStart.Length..^3];
        }
        else if (_stage == Stage.AwaitingReady)
        {
            return Ready(record.SequenceEqual("ready"u8), record);
        }

        Verify(record);
        return null;
    }

    private string? Ready(bool isReady, ReadOnlySpan<byte> record)
    {
        if (!isReady)
        {
            return $"expected '{FanoutSettings.Ready}' first, got: {Encoding.UTF8.GetString(record[..Math.Min(record.Length, 80)])}";
        }

        _stage = Stage.Receiving;
        _ready.TrySetResult();
        return null;
    }

    /// <summary>Checks a published message: its size and padding, and that it is exactly the next one for this connection.</summary>
    private void Verify(ReadOnlySpan<byte> message)
    {
        var now = Stopwatch.GetTimestamp();
        var problem = FanoutPayload.Read(message, _tally.Size, out var sequence, out var publishedAt);
        if (problem is not null)
        {
            Wrong($"message {_expected} garbled: {problem}");
            _expected++;
            return;
        }

        if (sequence != _expected)
        {
            Wrong(sequence > _expected
                ? $"lost {sequence - _expected} message(s): got {sequence}, expected {_expected}"
                : $"got message {sequence} again or out of order, expected {_expected}");
            _expected = Math.Max(_expected, sequence + 1);
            return;
        }

        _expected++;
        _tally.Delivered(now, publishedAt);
    }

    private string? Wrong(string problem)
    {
        _tally.Fail(string.Create(CultureInfo.InvariantCulture, $"connection {_index} ({_kind}): {problem}"));
        return null;
    }

    private void Write(byte[] frame)
    {
        try
        {
            lock (_writeLock)
            {
                var sent = 0;
                while (sent < frame.Length)
                {
                    sent += _socket.Send(frame, sent, frame.Length - sent, SocketFlags.None);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The receive loop sees the same failure and reports it.
        }
    }
}
