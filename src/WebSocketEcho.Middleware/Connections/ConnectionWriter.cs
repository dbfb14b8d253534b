using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The connection's single writer: one send at a time (the platform allows only one outstanding send), at most
/// MaxPendingSendBytes waiting for their turn, and the start time of the send in progress (for SendTimeout). It refuses
/// data once the close handshake has started or the connection has ended, and once the underlying connection is gone.
/// </summary>
/// <remarks>
/// Callers: senders, from any thread: the handler (through <see cref="IWebSocketConnection"/>), pushes
/// (<see cref="TryPush"/>, from the push service and the backplane, queued and sent by a drain: ConnectionWriter.Pushes.cs);
/// the close handshake, whose close frame waits its turn behind the sends and pushes queued before it
/// (<see cref="SendCloseFrameAsync"/>); the heartbeat, which reads
/// <see cref="SendStartedAt"/>; and the outcome, which reads <see cref="TransportFailed"/> when the handler throws.
/// Sends take no cancellation once they hold the lock: a send the peer does not read is ended by SendTimeout (an abort).
/// </remarks>
[SuppressMessage(
    "Reliability",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "The send lock is not disposed on purpose: a send finishing after the end must still release it. It holds no unmanaged resources in this use.")]
internal sealed partial class ConnectionWriter
{
    private readonly WebSocketConnection _connection;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly CancellationToken _transportLost;
    private long _pendingBytes;
    private long _sendStartedAt;
    private volatile bool _transportFailed;

    /// <param name="connection">The connection this writer sends for.</param>
    /// <param name="transportLost">
    /// Fires when the underlying connection is gone (reset, closed, or aborted): the request's <c>RequestAborted</c>.
    /// Kestrel then silently drops writes to the upgraded stream, by design
    /// (https://github.com/aspnet/KestrelHttpServer/issues/566), and the platform's send reports success
    /// (https://github.com/dotnet/runtime/issues/48123), so without this check a handler that keeps sending to a
    /// vanished peer would spin forever instead of getting an exception.
    /// </param>
    public ConnectionWriter(WebSocketConnection connection, CancellationToken transportLost)
    {
        _connection = connection;
        _transportLost = transportLost;
    }

    /// <summary>Gets when (<see cref="Environment.TickCount64"/>) the send in progress started, or 0 when none is.</summary>
    public long SendStartedAt => Volatile.Read(ref _sendStartedAt);

    /// <summary>Gets a value indicating whether a send or the close frame failed because the underlying connection is gone.</summary>
    public bool TransportFailed => _transportFailed;

    private WebSocket Socket => _connection.Socket;

    private EndpointContext Endpoint => _connection.Endpoint;

    /// <summary>Sends one whole message. Text must already be valid UTF-8.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (SendRefusal() is { } refused)
        {
            return ValueTask.FromException(refused);
        }

        long length = payload.Length;
        var pending = Interlocked.Add(ref _pendingBytes, length);
        if (pending != length && pending > Endpoint.Settings.MaxPendingSendBytes)
        {
            Interlocked.Add(ref _pendingBytes, -length);
            return ValueTask.FromException(OnPendingLimitExceeded(pending));
        }

        return _lock.Wait(0, CancellationToken.None)
            ? SendLockedAsync(payload, type, length)
            : SendWhenUnlockedAsync(payload, type, length, cancellationToken);
    }

    /// <summary>Sends the first <paramref name="length"/> bytes of <paramref name="buffer"/>, rented from the endpoint's pool, and returns it when sent.</summary>
    public ValueTask SendPooledAsync(byte[] buffer, int length, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        ValueTask send;
        try
        {
            send = SendAsync(buffer.AsMemory(0, length), type, cancellationToken);
        }
        catch
        {
            Endpoint.Pool.Return(buffer);
            throw;
        }

        if (send.IsCompleted)
        {
            Endpoint.Pool.Return(buffer);
            return send;
        }

        return ReturnWhenSentAsync(send, buffer);
    }

    /// <summary>
    /// Sends the close frame once the sends queued before it have gone out. Only the close handshake calls it, once. A
    /// failure means the transport is gone: the receive side sees the same failure and ends the connection.
    /// </summary>
    public async Task SendCloseFrameAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteQueuedPushesAsync().ConfigureAwait(false);
            if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await Socket.CloseOutputAsync(status, description, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _transportFailed = true;
        }
        finally
        {
            _lock.Release();
        }
    }

    private static WebSocketException ClosedError() =>
        new(WebSocketError.InvalidState, "The WebSocket connection is closing or closed; no more messages can be sent.");

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReturnWhenSentAsync(ValueTask send, byte[] buffer)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        finally
        {
            Endpoint.Pool.Return(buffer);
        }
    }

    private ValueTask SendLockedAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type, long length) =>
        _pushes is { HasEntries: true } ? SendAfterPushesAsync(payload, type, length) : SendLockedNowAsync(payload, type, length);

    private ValueTask SendLockedNowAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type, long length)
    {
        ValueTask send;
        try
        {
            if (SendRefusal() is { } refused)
            {
                throw refused;
            }

            Volatile.Write(ref _sendStartedAt, Environment.TickCount64);
            send = Socket.SendAsync(payload, type, WebSocketMessageFlags.EndOfMessage, CancellationToken.None);
        }
        catch (Exception ex)
        {
            EndSend(length);
            return ValueTask.FromException(Translate(ex));
        }

        if (send.IsCompletedSuccessfully)
        {
            send.GetAwaiter().GetResult();
            EndSend(length);
            if (Socket.State == WebSocketState.Aborted)
            {
                return ValueTask.FromException(AbortedWhileSendingError());
            }

            Endpoint.Metrics.MessageSent(Endpoint.Name, type, (int)length);
            return default;
        }

        return AwaitSendAsync(send, type, length);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitSendAsync(ValueTask send, WebSocketMessageType type, long length)
    {
        try
        {
            await send.ConfigureAwait(false);
            ThrowIfAbortedWhileSending();
            Endpoint.Metrics.MessageSent(Endpoint.Name, type, (int)length);
        }
        catch (Exception ex)
        {
            throw Translate(ex);
        }
        finally
        {
            EndSend(length);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendWhenUnlockedAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type, long length, CancellationToken cancellationToken)
    {
        try
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Add(ref _pendingBytes, -length);
            throw;
        }

        try
        {
            await WriteQueuedPushesAsync().ConfigureAwait(false);
            if (SendRefusal() is { } refused)
            {
                throw refused;
            }

            Volatile.Write(ref _sendStartedAt, Environment.TickCount64);
            await Socket.SendAsync(payload, type, WebSocketMessageFlags.EndOfMessage, CancellationToken.None).ConfigureAwait(false);
            ThrowIfAbortedWhileSending();
            Endpoint.Metrics.MessageSent(Endpoint.Name, type, (int)length);
        }
        catch (Exception ex)
        {
            throw Translate(ex);
        }
        finally
        {
            EndSend(length);
        }
    }

    private void EndSend(long length)
    {
        Volatile.Write(ref _sendStartedAt, 0);
        Interlocked.Add(ref _pendingBytes, -length);
        _lock.Release();
    }

    /// <summary>Why a send cannot start now (the connection is closing or ended, or its transport is gone), or null.</summary>
    private WebSocketException? SendRefusal() =>
        _connection.Closing.IsStarted || _connection.Closing.HasEnded ? ClosedError()
        : _transportLost.IsCancellationRequested ? LostError()
        : null;

    /// <summary>The underlying connection is gone: a send can never reach the peer.</summary>
    private WebSocketException LostError()
    {
        _transportFailed = true;
        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The WebSocket connection was lost: the underlying connection was reset or closed.");
    }

    /// <summary>
    /// The platform's send returned, but the socket was aborted meanwhile (SendTimeout, CloseTimeout, Abort, the
    /// keep-alive timeout, or a failed receive): Kestrel completes a write in flight at the abort as if it had been sent
    /// (https://github.com/aspnet/KestrelHttpServer/issues/566) and the platform reports success
    /// (https://github.com/dotnet/runtime/issues/48123), so the message counts as lost, not sent.
    /// </summary>
    private void ThrowIfAbortedWhileSending()
    {
        if (Socket.State == WebSocketState.Aborted)
        {
            throw AbortedWhileSendingError();
        }
    }

    private WebSocketException AbortedWhileSendingError()
    {
        _transportFailed = true;
        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The WebSocket connection was aborted while the message was being sent; it may not have reached the peer.");
    }

    private Exception Translate(Exception error)
    {
        if (error is WebSocketException { WebSocketErrorCode: WebSocketError.InvalidState } && error.InnerException is null)
        {
            return error;
        }

        _transportFailed = true;
        if (error is WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely } && error.InnerException is null)
        {
            return error; // LostError or AbortedWhileSendingError: already says the connection was lost.
        }

        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The WebSocket connection was lost while sending.", error);
    }

    private WebSocketException OnPendingLimitExceeded(long pending)
    {
        var outcome = _connection.Outcome;
        outcome.TryRecordAndReport(ConnectionEnd.SendBufferFull(pending));
        Unawaited.Observe(_connection.Closing.StartAsync(outcome.Info));
        return new WebSocketException(
            WebSocketError.InvalidState,
            "The peer does not read fast enough: more than MaxPendingSendBytes are waiting to be sent, so the connection is being closed with 1008.");
    }
}
