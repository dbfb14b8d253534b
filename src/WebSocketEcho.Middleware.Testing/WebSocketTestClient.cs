using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Testing;

/// <summary>
/// A WebSocket client for tests: sends text or binary, receives whole messages, expects a close, and fails with a
/// message that names the path and the connection state instead of hanging. Made by
/// <see cref="TestServerWebSocketExtensions.ConnectWebSocketAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// It wraps TestHost's in-memory WebSocket client, which exchanges whole messages, not frames: tests through it show
/// what a handler sends and receives, the close statuses and the order of callbacks, but not framing, fragmentation
/// on the wire, masking, pings and pongs, keep-alive timeouts, compression, or how the server handles a slow reader
/// (TestHost buffers every message without limit). Test those against real Kestrel with a
/// <see cref="ClientWebSocket"/>.
/// </para>
/// <para>
/// One wait at a time: the receive and expect methods, and <see cref="CloseAsync"/>, must not overlap on one client.
/// A wait that times out loses nothing: the message it waited for is returned by the next call. Like a browser, the
/// client answers the server's close frame with the same status as soon as it reads it.
/// </para>
/// </remarks>
public sealed class WebSocketTestClient : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private TimeSpan _timeout;
    private Task<ReceivedItem>? _pending;
    private ReceivedItem? _ended;
    private bool _disposed;

    internal WebSocketTestClient(WebSocket webSocket, string path, TimeSpan timeout)
    {
        WebSocket = webSocket;
        Path = path;
        _timeout = timeout;
    }

    /// <summary>
    /// Gets TestHost's WebSocket under this client, for what the client does not offer, such as sending a message in
    /// parts. Do not receive on it while using this client's receive methods.
    /// </summary>
    public WebSocket WebSocket { get; }

    /// <summary>Gets the path (and query) the client connected to, as failure messages show it.</summary>
    public string Path { get; }

    /// <summary>Gets the subprotocol the server selected, or <see langword="null"/>.</summary>
    public string? SubProtocol => WebSocket.SubProtocol;

    /// <summary>Gets the client side's state: <see cref="WebSocketState.Open"/>, then <see cref="WebSocketState.Closed"/> once a close was exchanged.</summary>
    public WebSocketState State => WebSocket.State;

    /// <summary>
    /// Gets or sets how long each receive, expectation or close waits before it fails with a
    /// <see cref="TimeoutException"/>; 5 seconds unless <see cref="WebSocketTestClientOptions.Timeout"/> said otherwise.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative (and not infinite).</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        set => _timeout = TimeoutRule.Validate(value);
    }

    /// <summary>Sends <paramref name="text"/> as one text message.</summary>
    /// <param name="text">The text.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the message has been handed to the server.</returns>
    public Task SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return WebSocket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    }

    /// <summary>Sends <paramref name="data"/> as one binary message.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the message has been handed to the server.</returns>
    public Task SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        WebSocket.SendAsync(data.ToArray(), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);

    /// <summary>Receives the next whole message, text or binary.</summary>
    /// <param name="cancellationToken">Cancels the wait; the message, when it comes, is kept for the next receive.</param>
    /// <returns>The message; its payload is the client's own copy.</returns>
    /// <exception cref="TimeoutException">No message came within <see cref="Timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The server closed the connection, or it ended, instead.</exception>
    public async Task<WebSocketMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var item = await NextAsync("message", cancellationToken).ConfigureAwait(false);
        if (!item.IsMessage)
        {
            throw new InvalidOperationException($"Expected a message on {Path} but {item.Describe()}.", item.Error);
        }

        return new WebSocketMessage(item.Type, item.Payload);
    }

    /// <summary>Receives the next whole message and returns its text.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The text of the message.</returns>
    /// <exception cref="TimeoutException">No message came within <see cref="Timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The next message is binary, or the server closed the connection, or it ended, instead.</exception>
    public async Task<string> ReceiveTextAsync(CancellationToken cancellationToken = default)
    {
        var message = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (!message.IsText)
        {
            throw new InvalidOperationException($"Expected a text message on {Path} but received a binary message of {message.Payload.Length} bytes.");
        }

        return message.GetText();
    }

    /// <summary>Receives the next whole message and returns its bytes.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The bytes of the message.</returns>
    /// <exception cref="TimeoutException">No message came within <see cref="Timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The next message is text, or the server closed the connection, or it ended, instead.</exception>
    public async Task<byte[]> ReceiveBinaryAsync(CancellationToken cancellationToken = default)
    {
        var message = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (message.IsText)
        {
            throw new InvalidOperationException($"Expected a binary message on {Path} but received a text message {ReceivedItem.Quote(message.GetText())}.");
        }

        return message.Payload.ToArray();
    }

    /// <summary>
    /// Waits <paramref name="duration"/> and fails if a message (or a close) arrives meanwhile: for "this client is not
    /// in the group". It always takes the whole duration, so keep it short, and prefer a positive check where one exists
    /// (send a marker afterwards and receive it first).
    /// </summary>
    /// <param name="duration">How long to listen; positive and finite.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when nothing arrived within <paramref name="duration"/>.</returns>
    /// <exception cref="InvalidOperationException">A message arrived, or the connection was closed or ended.</exception>
    public async Task ExpectNoMessageAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        if (duration <= TimeSpan.Zero || duration == System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "The duration must be positive and finite.");
        }

        var item = _ended;
        if (item is null)
        {
            var pending = _pending ??= ReadAsync();
            try
            {
                item = await pending.WaitAsync(duration, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return;
            }

            Consume(item);
        }

        throw new InvalidOperationException($"Expected no message on {Path} for {TimeoutRule.Format(duration)} but {item.Describe()}.", item.Error);
    }

    /// <summary>Expects the server to close the connection next, with <paramref name="closeStatus"/>, and answers the close.</summary>
    /// <param name="closeStatus">The expected status, for example <see cref="WebSocketCloseStatus.MessageTooBig"/>.</param>
    /// <param name="statusDescription">The expected reason, compared exactly; <see langword="null"/> accepts any reason.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the expected close has arrived.</returns>
    /// <exception cref="TimeoutException">Nothing came within <see cref="Timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">A message came first, the status or reason differs, or the connection ended without a close frame.</exception>
    public async Task ExpectCloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription = null, CancellationToken cancellationToken = default)
    {
        var item = await NextAsync("close", cancellationToken).ConfigureAwait(false);
        if (item.IsClose && item.CloseStatus == closeStatus && (statusDescription is null || statusDescription == item.CloseDescription))
        {
            return;
        }

        var expected = $"a close with {ReceivedItem.FormatStatus(closeStatus)}" + (statusDescription is null ? string.Empty : " " + ReceivedItem.Quote(statusDescription));
        throw new InvalidOperationException($"Expected {expected} on {Path} but {item.Describe()}.", item.Error);
    }

    /// <summary>
    /// Closes the connection normally: sends a close frame and waits for the server's answer, dropping messages that
    /// were still on their way. Does nothing if the connection has already been closed.
    /// </summary>
    /// <param name="closeStatus">The status to send; <see cref="WebSocketCloseStatus.NormalClosure"/> by default.</param>
    /// <param name="statusDescription">An optional reason.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>A task that completes when the server has answered the close.</returns>
    /// <exception cref="TimeoutException">The server did not answer within <see cref="Timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The connection ended without the server's close frame.</exception>
    public async Task CloseAsync(
        WebSocketCloseStatus closeStatus = WebSocketCloseStatus.NormalClosure,
        string? statusDescription = null,
        CancellationToken cancellationToken = default)
    {
        if (_ended is not null)
        {
            return;
        }

        if (State == WebSocketState.Open)
        {
            await WebSocket.CloseOutputAsync(closeStatus, statusDescription, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var item = await NextAsync("answer to the close", cancellationToken).ConfigureAwait(false);
            if (item.IsClose)
            {
                return;
            }

            if (!item.IsMessage)
            {
                throw new InvalidOperationException($"Closed {Path} but instead of the server's close frame {item.Describe()}.", item.Error);
            }
        }
    }

    /// <summary>
    /// Sends a normal close if the connection is still open (without waiting for the answer) and releases the client.
    /// Never throws: a test that already failed keeps its own failure.
    /// </summary>
    /// <returns>A task that completes when the client has been released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (State == WebSocketState.Open)
        {
            try
            {
                await WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionGone(ex))
            {
                // The server ended the connection first.
            }
        }

        WebSocket.Dispose();
    }

    private static bool IsConnectionGone(Exception ex) =>
        ex is IOException or ObjectDisposedException or WebSocketException or InvalidOperationException or OperationCanceledException;

    /// <summary>Waits for the next item, bounded by <see cref="Timeout"/>; a timed-out read stays pending for the next call.</summary>
    private async Task<ReceivedItem> NextAsync(string expecting, CancellationToken cancellationToken)
    {
        if (_ended is { } ended)
        {
            return ended;
        }

        var pending = _pending ??= ReadAsync();
        ReceivedItem item;
        try
        {
            item = await pending.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No {expecting} within {TimeoutRule.Format(_timeout)} on {Path}; last state {State}.");
        }

        Consume(item);
        return item;
    }

    private void Consume(ReceivedItem item)
    {
        _pending = null;
        if (!item.IsMessage)
        {
            _ended = item;
        }
    }

    /// <summary>Reads one whole message, or the close frame (answering it), or the end of the connection. Never throws.</summary>
    private async Task<ReceivedItem> ReadAsync()
    {
        var payload = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await WebSocket.ReceiveAsync(new ArraySegment<byte>(_buffer), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync(result.CloseStatus, result.CloseStatusDescription).ConfigureAwait(false);
                    return ReceivedItem.Close(result.CloseStatus, result.CloseStatusDescription);
                }

                payload.Write(_buffer.AsSpan(0, result.Count));
                if (result.EndOfMessage)
                {
                    return ReceivedItem.Message(result.MessageType, payload.WrittenSpan.ToArray());
                }
            }
        }
        catch (Exception ex) when (IsConnectionGone(ex))
        {
            return ReceivedItem.Lost(ex);
        }
    }

    /// <summary>Answers the server's close frame with the same status, as browsers and <see cref="ClientWebSocket"/> do.</summary>
    private async Task AnswerCloseAsync(WebSocketCloseStatus? status, string? description)
    {
        if (State != WebSocketState.CloseReceived)
        {
            return;
        }

        try
        {
            await WebSocket.CloseOutputAsync(status ?? WebSocketCloseStatus.NormalClosure, description, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionGone(ex))
        {
            // The server did not wait for the answer.
        }
    }
}
