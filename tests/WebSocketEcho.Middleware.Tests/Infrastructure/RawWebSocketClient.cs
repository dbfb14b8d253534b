using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>One frame as it crossed the wire; <paramref name="LengthBits"/> is the payload length encoding it used (7, 7+16 or 7+64 bits).</summary>
internal sealed record Frame(bool Fin, byte Rsv, byte Opcode, bool Masked, byte[] Payload, int LengthBits = 7)
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    public string TextPayload => Encoding.UTF8.GetString(Payload);

    /// <summary>Gets the status code of a close frame, or null when it carries none.</summary>
    public int? CloseStatus => Opcode == Close && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    public string CloseReason => Opcode == Close && Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : string.Empty;

    public override string ToString() =>
        Opcode == Close ? $"Close({CloseStatus} \"{CloseReason}\")" : $"Frame(op={Opcode}, fin={Fin}, rsv={Rsv}, {Payload.Length} bytes)";
}

/// <summary>How the server ended a TCP connection, as the client saw it.</summary>
internal enum TcpEnd
{
    /// <summary>An orderly close: a read returned 0 (the server sent FIN).</summary>
    Fin,

    /// <summary>The server reset the connection (RST, seen as a failed read): data it sent that the client had not read may be lost.</summary>
    Reset,

    /// <summary>The connection was still open when the wait ended.</summary>
    StillOpen,
}

/// <summary>The status line and headers of an HTTP response read off a raw socket.</summary>
internal sealed record RawHttpResponse(int StatusCode, string StatusLine, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A WebSocket client written against the wire, for tests only: it writes the upgrade request itself and then
/// frames byte by byte, so a test controls masking, RSV bits, opcodes, lengths, fragmentation and bad UTF-8.
/// </summary>
internal sealed class RawWebSocketClient : IAsyncDisposable
{
    public const string RfcSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = [];

    private RawWebSocketClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Gets the server's answer to the upgrade request.</summary>
    public RawHttpResponse Handshake { get; private set; } = new(0, string.Empty, new Dictionary<string, string>(), string.Empty);

    public Socket Socket => _tcp.Client;

    /// <summary>Opens a TCP connection, sends a WebSocket upgrade request and reads the response head.</summary>
    public static async Task<RawWebSocketClient> ConnectAsync(
        int port,
        string path = "/",
        IEnumerable<KeyValuePair<string, string>>? extraHeaders = null,
        string key = RfcSampleKey,
        CancellationToken cancellationToken = default)
    {
        return await ConnectRawAsync(port, UpgradeRequest($"127.0.0.1:{port}", path, extraHeaders, key), cancellationToken);
    }

    /// <summary>
    /// Like <see cref="ConnectAsync(int, string, IEnumerable{KeyValuePair{string, string}}?, string, CancellationToken)"/>, but
    /// <paramref name="configureSocket"/> sets up the socket before it connects (for example a small receive buffer, so
    /// that a client that stops reading makes the server's sends block quickly).
    /// </summary>
    public static async Task<RawWebSocketClient> ConnectAsync(
        int port,
        string path,
        Action<Socket> configureSocket,
        IEnumerable<KeyValuePair<string, string>>? extraHeaders = null,
        CancellationToken cancellationToken = default) =>
        await ConnectRawAsync(port, UpgradeRequest($"127.0.0.1:{port}", path, extraHeaders, RfcSampleKey), configureSocket, cancellationToken);

    /// <summary>Builds a valid upgrade request head for <paramref name="host"/> (the Host header) and <paramref name="path"/>.</summary>
    public static string UpgradeRequest(string host, string path, IEnumerable<KeyValuePair<string, string>>? extraHeaders = null, string key = RfcSampleKey)
    {
        var request = new StringBuilder()
            .Append("GET ").Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host).Append("\r\n")
            .Append("Upgrade: websocket\r\n")
            .Append("Connection: Upgrade\r\n")
            .Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n")
            .Append("Sec-WebSocket-Version: 13\r\n");
        foreach (var header in extraHeaders ?? [])
        {
            request.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        return request.Append("\r\n").ToString();
    }

    /// <summary>Opens a TCP connection, writes <paramref name="requestHead"/> verbatim and reads the response head.</summary>
    public static Task<RawWebSocketClient> ConnectRawAsync(int port, string requestHead, CancellationToken cancellationToken = default) =>
        ConnectRawAsync(port, requestHead, configureSocket: null, cancellationToken);

    /// <summary>Opens a TCP connection to <paramref name="address"/>, writes <paramref name="requestHead"/> verbatim and reads the response head.</summary>
    public static async Task<RawWebSocketClient> ConnectRawAsync(System.Net.IPAddress address, int port, string requestHead, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient(address.AddressFamily) { NoDelay = true };
        await tcp.ConnectAsync(address, port, cancellationToken);
        return await StartAsync(tcp, requestHead, cancellationToken);
    }

    private static async Task<RawWebSocketClient> ConnectRawAsync(int port, string requestHead, Action<Socket>? configureSocket, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        configureSocket?.Invoke(tcp.Client);
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
        return await StartAsync(tcp, requestHead, cancellationToken);
    }

    private static async Task<RawWebSocketClient> StartAsync(TcpClient tcp, string requestHead, CancellationToken cancellationToken)
    {
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(requestHead), cancellationToken);
        var client = new RawWebSocketClient(tcp);
        client.Handshake = await client.ReadResponseHeadAsync(cancellationToken);
        return client;
    }

    /// <summary>Sends a raw HTTP request and reads the whole response (for refused handshakes).</summary>
    public static async Task<RawHttpResponse> SendHttpRequestAsync(int port, string requestHead, CancellationToken cancellationToken = default)
    {
        await using var client = await ConnectRawAsync(port, requestHead, cancellationToken);
        var response = client.Handshake;
        var body = new StringBuilder();
        if (response.Header("Content-Length") is { } lengthText && int.TryParse(lengthText, out var length))
        {
            var bytes = await client.ReadExactAsync(length, TimeSpan.FromSeconds(10), cancellationToken);
            body.Append(Encoding.UTF8.GetString(bytes));
        }
        else if (string.Equals(response.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await client.ReadLineAsync(cancellationToken);
                var size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
                var chunk = await client.ReadExactAsync(size + 2, TimeSpan.FromSeconds(10), cancellationToken);
                if (size == 0)
                {
                    break;
                }

                body.Append(Encoding.UTF8.GetString(chunk, 0, size));
            }
        }
        else if (response.StatusCode >= 200 && response.StatusCode is not (204 or 304))
        {
            // No framing header: the body runs until the server closes the connection (HTTP/1.0 style).
            var (_, rest) = await client.ReadToEndAsync(TimeSpan.FromSeconds(10), cancellationToken);
            body.Append(Encoding.UTF8.GetString(rest));
        }

        return response with { Body = body.ToString() };
    }

    /// <summary>Computes Sec-WebSocket-Accept as RFC 6455 section 4.2.2 defines it.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 6455 mandates SHA-1 for Sec-WebSocket-Accept; it is not used for security.")]
    public static string ExpectedAccept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>Builds one client frame.</summary>
    public static byte[] BuildFrame(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true, byte rsv = 0, uint maskKey = 0x37FA213D)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xF)) };
        var maskBit = mask ? 0x80 : 0;
        if (payload.Length <= 125)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        var keyBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(keyBytes, maskKey);
        if (mask)
        {
            header.AddRange(keyBytes);
        }

        var frame = new byte[header.Count + payload.Length];
        header.CopyTo(frame);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[header.Count + i] = mask ? (byte)(payload[i] ^ keyBytes[i & 3]) : payload[i];
        }

        return frame;
    }

    /// <summary>Builds a close frame payload: a status code and a UTF-8 reason.</summary>
    public static byte[] ClosePayload(int status, string reason = "")
    {
        var reasonBytes = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)status);
        reasonBytes.CopyTo(payload, 2);
        return payload;
    }

    public Task SendFrameAsync(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true, byte rsv = 0, CancellationToken cancellationToken = default) =>
        WriteRawAsync(BuildFrame(opcode, payload, fin, mask, rsv), cancellationToken);

    /// <summary>
    /// Sends one message split into frames of <paramref name="fragmentSize"/> bytes (the last may be shorter): the first
    /// frame carries <paramref name="opcode"/>, the rest are continuations. All frames go out in one write.
    /// </summary>
    public Task SendFragmentedAsync(byte opcode, ReadOnlySpan<byte> payload, int fragmentSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fragmentSize, 1);
        using var frames = new MemoryStream();
        var offset = 0;
        do
        {
            var length = Math.Min(fragmentSize, payload.Length - offset);
            var last = offset + length == payload.Length;
            frames.Write(BuildFrame(offset == 0 ? opcode : Frame.Continuation, payload.Slice(offset, length), fin: last));
            offset += length;
        }
        while (offset < payload.Length);

        return WriteRawAsync(frames.ToArray(), cancellationToken);
    }

    public Task SendTextAsync(string text, CancellationToken cancellationToken = default) =>
        SendFrameAsync(Frame.Text, Encoding.UTF8.GetBytes(text), cancellationToken: cancellationToken);

    public Task SendCloseAsync(int status, string reason = "", CancellationToken cancellationToken = default) =>
        SendFrameAsync(Frame.Close, ClosePayload(status, reason), cancellationToken: cancellationToken);

    public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _stream.WriteAsync(bytes, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> in pieces of <paramref name="chunkSize"/> bytes (1 = byte by byte), flushing each
    /// (Nagle is off), so the server sees frame headers and payloads arrive split at arbitrary points.
    /// </summary>
    public async Task WriteChunkedAsync(ReadOnlyMemory<byte> bytes, int chunkSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            await WriteRawAsync(bytes.Slice(offset, Math.Min(chunkSize, bytes.Length - offset)), cancellationToken);
        }
    }

    /// <summary>Reads the next frame; throws <see cref="EndOfStreamException"/> if the server closed TCP first.</summary>
    public async Task<Frame> ReadFrameAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await ReadFrameOrEndAsync(timeout, cancellationToken)
            ?? throw new EndOfStreamException("The server closed the TCP connection instead of sending a frame.");

    /// <summary>Reads the next frame, or returns null when the server closed TCP.</summary>
    public async Task<Frame?> ReadFrameOrEndAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        if (!await FillAsync(2, limit, cancellationToken))
        {
            return null;
        }

        var fin = (_pending[0] & 0x80) != 0;
        var rsv = (byte)((_pending[0] >> 4) & 0x7);
        var opcode = (byte)(_pending[0] & 0xF);
        var masked = (_pending[1] & 0x80) != 0;
        long length = _pending[1] & 0x7F;
        var headerLength = 2;
        var lengthBits = 7;
        if (length == 126)
        {
            await RequireAsync(4, limit, cancellationToken);
            length = (_pending[2] << 8) | _pending[3];
            headerLength = 4;
            lengthBits = 7 + 16;
        }
        else if (length == 127)
        {
            await RequireAsync(10, limit, cancellationToken);
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(_pending.GetRange(2, 8).ToArray());
            headerLength = 10;
            lengthBits = 7 + 64;
        }

        var maskLength = masked ? 4 : 0;
        await RequireAsync(headerLength + maskLength + (int)length, limit, cancellationToken);
        var payload = _pending.GetRange(headerLength + maskLength, (int)length).ToArray();
        if (masked)
        {
            var key = _pending.GetRange(headerLength, 4).ToArray();
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= key[i & 3];
            }
        }

        _pending.RemoveRange(0, headerLength + maskLength + (int)length);
        return new Frame(fin, rsv, opcode, masked, payload, lengthBits);
    }

    /// <summary>Reads frames until a close frame (skipping data, pings and pongs); null if TCP ended first.</summary>
    public async Task<Frame?> ReadUntilCloseAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        while (await ReadFrameOrEndAsync(timeout, cancellationToken) is { } frame)
        {
            if (frame.Opcode == Frame.Close)
            {
                return frame;
            }
        }

        return null;
    }

    /// <summary>Waits until the server closes TCP (true) or <paramref name="timeout"/> passes (false); data read meanwhile is discarded.</summary>
    public async Task<bool> WaitForServerCloseAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (await ReadToEndAsync(timeout, cancellationToken)).End != TcpEnd.StillOpen;

    /// <summary>
    /// Reads until the server ends the connection or <paramref name="timeout"/> passes, and says how it ended and how
    /// many bytes arrived meanwhile (including bytes already read but not yet parsed as a frame).
    /// </summary>
    public async Task<(TcpEnd End, int BytesBeforeEnd)> WaitForEndAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var (end, rest) = await ReadToEndAsync(timeout, cancellationToken);
        return (end, rest.Length);
    }

    /// <summary>Closes the socket with a TCP reset (linger 0), like a peer that vanishes.</summary>
    public void Reset()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Client.Close();
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<(TcpEnd End, byte[] Bytes)> ReadToEndAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var received = new List<byte>(_pending);
        _pending.Clear();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(buffer, cts.Token);
                if (read == 0)
                {
                    return (TcpEnd.Fin, received.ToArray());
                }

                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (TcpEnd.StillOpen, received.ToArray());
        }
        catch (IOException)
        {
            // ECONNRESET: the server reset the connection.
            return (TcpEnd.Reset, received.ToArray());
        }
    }

    private async Task<RawHttpResponse> ReadResponseHeadAsync(CancellationToken cancellationToken)
    {
        var statusLine = await ReadLineAsync(cancellationToken);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
        }

        var parts = statusLine.Split(' ', 3);
        return new RawHttpResponse(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), statusLine, headers, string.Empty);
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            await RequireAsync(1, TimeSpan.FromSeconds(10), cancellationToken);
            var b = _pending[0];
            _pending.RemoveAt(0);
            if (b == '\n')
            {
                return Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
            }

            line.Add(b);
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await RequireAsync(count, timeout, cancellationToken);
        var bytes = _pending.GetRange(0, count).ToArray();
        _pending.RemoveRange(0, count);
        return bytes;
    }

    private async Task RequireAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!await FillAsync(count, timeout, cancellationToken))
        {
            throw new EndOfStreamException($"The server closed the TCP connection; {count} bytes were needed, {_pending.Count} were there.");
        }
    }

    private async Task<bool> FillAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_pending.Count >= count)
        {
            return true;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var buffer = new byte[64 * 1024];
        while (_pending.Count < count)
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, cts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No data from the server within {timeout} ({_pending.Count} of {count} bytes).");
            }
            catch (IOException) when (_pending.Count == 0)
            {
                return false;
            }

            if (read == 0)
            {
                return _pending.Count >= count;
            }

            _pending.AddRange(buffer.AsSpan(0, read));
        }

        return true;
    }
}
