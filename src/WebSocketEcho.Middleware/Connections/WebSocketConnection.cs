using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Middleware;

/// <summary>
/// One accepted connection: its identity, the single writer that serializes sends, the server side of the close
/// handshake, and the timeouts the endpoint's heartbeat enforces. The receive side lives in <see cref="MessagePump"/>.
/// </summary>
[SuppressMessage(
    "Reliability",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "Neither is disposed on purpose: ConnectionClosed tokens outlive the connection in handler code, and a send finishing after the end must still release the lock. Neither holds unmanaged resources in this use.")]
internal sealed partial class WebSocketConnection : IWebSocketConnection
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>How long a lingering close waits for more bytes from a peer whose connection the server failed.</summary>
    private static readonly TimeSpan s_lingerQuietPeriod = TimeSpan.FromMilliseconds(250);

    /// <summary>The most bytes (at least; MaxMessageSize if larger) a lingering close reads and discards.</summary>
    private const int LingerMaxBytes = 64 * 1024 * 1024;

    /// <summary>The ConnectionClosed source of every connection that ended before anyone asked for it: already cancelled.</summary>
    private static readonly CancellationTokenSource s_endedSource = CreateEndedSource();

    private readonly EndpointContext _endpoint;
    private readonly TransportStream? _transport;
    private readonly LifetimeGate? _lifetime;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationToken _transportLost;
    private CancellationTokenSource? _closed;
    private Dictionary<object, object?>? _items;
    private StrongBox<DisconnectInfo>? _outcome;
    private Task? _closeFrameSend;
    private long _pendingSendBytes;
    private long _sendStartedAt;
    private long _lastReceiveAt;
    private long _closeStartedAt;
    private long _messagesStarted;
    private int _closeStarted;
    private int _closeTimedOut;
    private volatile bool _peerClosed;
    private volatile bool _transportFailed;
    private volatile bool _failing;
    private volatile bool _lingering;
    private volatile bool _ended;

    public WebSocketConnection(HttpContext httpContext, WebSocket socket, TransportStream? transport, LifetimeGate? lifetime, EndpointContext endpoint)
    {
        HttpContext = httpContext;
        Socket = socket;
        _transport = transport;
        _lifetime = lifetime;
        _endpoint = endpoint;
        Id = endpoint.Push.NewConnectionId();
        _lastReceiveAt = Now();

        // The server fires RequestAborted when the underlying connection is gone (reset, closed, or aborted). Kestrel
        // then silently drops writes to the upgraded stream, so without this check a handler that keeps sending to a
        // vanished peer would spin forever instead of getting an exception.
        _transportLost = httpContext.RequestAborted;
    }

    public string Id { get; }

    public HttpContext HttpContext { get; }

    public string? SubProtocol => Socket.SubProtocol;

    public WebSocketState State => Socket.State;

    /// <remarks>The token source is created on first use (most connections never ask), or is a shared cancelled one once the connection has ended.</remarks>
    public CancellationToken ConnectionClosed => (Volatile.Read(ref _closed) ?? CreateClosedSource()).Token;

    public IDictionary<object, object?> Items =>
        _items ?? Interlocked.CompareExchange(ref _items, new Dictionary<object, object?>(), null) ?? _items;

    internal WebSocket Socket { get; }

    /// <summary>Gets or sets the user the connection belongs to, for pushes to users. Written by its push scope.</summary>
    internal string? PushUserId { get; set; }

    /// <summary>Gets or sets the groups the connection is in. Read and written under its push scope's lock.</summary>
    internal List<string>? PushGroups { get; set; }

    /// <summary>Gets or sets a value indicating whether the push scope has forgotten the connection. Under the scope's lock.</summary>
    internal bool PushUnregistered { get; set; }

    /// <summary>Gets a value indicating whether the server has started (or answered) the close handshake.</summary>
    internal bool CloseStarted => Volatile.Read(ref _closeStarted) != 0;

    /// <summary>
    /// Gets a value indicating whether the server waits for the peer's close frame now that it has started closing.
    /// Not when it failed the connection (RFC 6455 section 7.1.7: the peer broke the protocol or a limit, 1002, 1007,
    /// 1008 or 1009) and sees the transport: that peer's close frame may never come (it can sit inside a frame the
    /// peer declared and never finishes), so the connection lingers briefly instead (<see cref="EndAsync"/>).
    /// </summary>
    internal bool AwaitsPeerClose => CloseStarted && !(_failing && _transport is not null);

    /// <summary>Gets how the connection ended, or is ending; <see cref="DisconnectReason.ConnectionLost"/> if nothing was recorded.</summary>
    internal DisconnectInfo Outcome =>
        Volatile.Read(ref _outcome)?.Value ?? new DisconnectInfo(DisconnectReason.ConnectionLost, null, null, null);

    public ValueTask SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);

        // Throws ArgumentException (EncoderFallbackException) for unpaired surrogates: they cannot be sent as UTF-8.
        var byteCount = s_strictUtf8.GetByteCount(text);
        var buffer = _endpoint.Pool.Rent(byteCount);
        var length = s_strictUtf8.GetBytes(text, buffer);
        return SendPooledAsync(buffer, length, WebSocketMessageType.Text, cancellationToken);
    }

    public ValueTask SendTextAsync(ReadOnlyMemory<byte> utf8Text, CancellationToken cancellationToken = default)
    {
        if (!Utf8.IsValid(utf8Text.Span))
        {
            throw new ArgumentException("The text is not valid UTF-8; send it as binary, or fix its encoding.", nameof(utf8Text));
        }

        return SendAsync(utf8Text, WebSocketMessageType.Text, cancellationToken);
    }

    public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        SendAsync(data, WebSocketMessageType.Binary, cancellationToken);

    public ValueTask CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription = null, CancellationToken cancellationToken = default)
    {
        if (!CloseStatusRules.IsSendable(closeStatus))
        {
            throw new ArgumentOutOfRangeException(
                nameof(closeStatus), closeStatus, "An endpoint may only send the close statuses 1000-1003, 1007-1014 and 3000-4999.");
        }

        var outcome = new DisconnectInfo(DisconnectReason.ClosedByServer, closeStatus, CloseStatusRules.TruncateReason(statusDescription), null);
        return new ValueTask(StartCloseAsync(outcome, cancellationToken));
    }

    public void Abort()
    {
        TrySetOutcome(new DisconnectInfo(DisconnectReason.ClosedByServer, null, null, null));
        Socket.Abort();
    }

    /// <summary>Sends one whole message through the connection's single writer. Text must already be valid UTF-8.</summary>
    internal ValueTask SendAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type, CancellationToken cancellationToken)
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
        var pending = Interlocked.Add(ref _pendingSendBytes, length);
        if (pending != length && pending > _endpoint.Settings.MaxPendingSendBytes)
        {
            Interlocked.Add(ref _pendingSendBytes, -length);
            return ValueTask.FromException(OnPendingLimitExceeded(pending));
        }

        return _sendLock.Wait(0, CancellationToken.None)
            ? SendLockedAsync(payload, type, length)
            : SendWhenUnlockedAsync(payload, type, length, cancellationToken);
    }

    /// <summary>Starts the server side of the close handshake (once); the first recorded outcome wins.</summary>
    internal async Task StartCloseAsync(DisconnectInfo outcome, CancellationToken cancellationToken = default)
    {
        TrySetOutcome(outcome);
        if (Interlocked.Exchange(ref _closeStarted, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _closeStartedAt, Now());
        _failing = outcome.Reason is DisconnectReason.ProtocolError or DisconnectReason.MessageTooBig or DisconnectReason.SlowConsumer;
        var send = SendCloseFrameAsync(outcome.CloseStatus ?? WebSocketCloseStatus.NormalClosure, outcome.CloseStatusDescription, cancellationToken);
        Volatile.Write(ref _closeFrameSend, send);
        try
        {
            await send.ConfigureAwait(false);
        }
        finally
        {
            if (_failing)
            {
                // The receive loop may be waiting for a peer that sends nothing (the close came from a send): end that wait.
                _transport?.StopReads();
            }
        }
    }

    /// <summary>The peer's close frame arrived: answer it with the same status (RFC 6455 section 5.5.1) unless the server closed first.</summary>
    internal Task OnPeerCloseAsync()
    {
        _peerClosed = true;
        var status = Socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure;
        TrySetOutcome(new DisconnectInfo(DisconnectReason.ClosedByPeer, status, Socket.CloseStatusDescription, null));
        if (Interlocked.Exchange(ref _closeStarted, 1) != 0)
        {
            return Task.CompletedTask;
        }

        Volatile.Write(ref _closeStartedAt, Now());
        var send = SendCloseFrameAsync(CloseStatusRules.IsSendable(status) ? status : WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Volatile.Write(ref _closeFrameSend, send);
        return send;
    }

    /// <summary>Records why receiving failed, unless the server had already decided how the connection ends.</summary>
    internal void OnReceiveFailed(Exception error)
    {
        if (Volatile.Read(ref _outcome) is not null)
        {
            return;
        }

        var logger = _endpoint.Logger;
        var written = _transport?.CloseStatusWritten;
        if (written is not null && !_peerClosed)
        {
            // The platform found a protocol violation and already sent the close frame (1002 or 1007).
            TrySetOutcome(new DisconnectInfo(DisconnectReason.ProtocolError, written, null, error));
            Log.ProtocolError(logger, Id, written, error);
        }
        else if (FindKeepAliveTimeout(error) is { } keepAliveTimeout)
        {
            TrySetOutcome(new DisconnectInfo(DisconnectReason.KeepAliveTimeout, null, null, keepAliveTimeout));
            Log.KeepAliveTimeout(logger, Id, _endpoint.Settings.KeepAliveTimeout);
        }
        else if (error is WebSocketException { WebSocketErrorCode: WebSocketError.Faulted or WebSocketError.HeaderError or WebSocketError.InvalidMessageType })
        {
            // A protocol violation whose close frame could not be written (no transport view, or the write failed).
            TrySetOutcome(new DisconnectInfo(DisconnectReason.ProtocolError, null, null, error));
            Log.ProtocolError(logger, Id, (WebSocketCloseStatus?)null, error);
        }
        else
        {
            TrySetOutcome(new DisconnectInfo(DisconnectReason.ConnectionLost, null, null, error));
            Log.ConnectionLost(logger, Id, error.Message);
        }
    }

    /// <summary>
    /// The handler threw. If the connection had already failed under it (a send to a vanished peer), that is a lost
    /// connection, not a handler bug; if a send failed because the connection was already closing, that is expected;
    /// otherwise log it as an error and close with 1011.
    /// </summary>
    internal Task OnHandlerFailedAsync(Exception error, string callback)
    {
        if (_transportFailed || Socket.State is WebSocketState.Aborted or WebSocketState.Closed)
        {
            TrySetOutcome(new DisconnectInfo(DisconnectReason.ConnectionLost, null, null, error));
            Log.ConnectionLost(_endpoint.Logger, Id, error.Message);
            return Task.CompletedTask;
        }

        if (CloseStarted && error is WebSocketException { WebSocketErrorCode: WebSocketError.InvalidState })
        {
            // A send failed because the connection was already closing (host stopping, idle timeout, slow consumer,
            // the peer's close): expected, and the connection ends with the status already chosen, not 1011.
            Log.SendAfterClose(_endpoint.Logger, Id, callback);
            return Task.CompletedTask;
        }

        Log.HandlerError(_endpoint.Logger, error, callback, Id);
        _endpoint.Metrics.HandlerError(_endpoint.Name, callback, error);
        return StartCloseAsync(new DisconnectInfo(DisconnectReason.HandlerError, WebSocketCloseStatus.InternalServerError, "Internal server error", error));
    }

    /// <summary>Notes that a data frame arrived (for the idle timeout).</summary>
    internal void Touch() => Volatile.Write(ref _lastReceiveAt, Now());

    /// <summary>Notes that a data message starts arriving and returns its number (1 for the first); only the receive loop calls it.</summary>
    internal long StartMessage() => ++_messagesStarted;

    /// <summary>
    /// Finds out whether message <paramref name="message"/> (see <see cref="StartMessage"/>) has more frames than
    /// MaxFragmentsPerMessage. Exact where the transport is seen: its frame headers are counted as the platform reads
    /// them. Otherwise (a server that brings its own WebSocket, such as TestHost) it counts the frame ends the receive
    /// results reveal, <paramref name="frameEnded"/>, in <paramref name="frameEnds"/>.
    /// </summary>
    internal bool HasTooManyFragments(long message, bool frameEnded, ref int frameEnds)
    {
        if (_transport is not null)
        {
            var over = _transport.FirstMessageOverFragmentLimit;
            return over != 0 && over <= message;
        }

        return frameEnded && ++frameEnds >= _endpoint.Settings.MaxFragmentsPerMessage;
    }

    /// <summary>Enforces the send, close and idle timeouts; called by the endpoint's heartbeat.</summary>
    internal void OnHeartbeat(long now)
    {
        if (_ended || _lingering)
        {
            // A lingering close bounds itself; an abort now would end it with a TCP reset.
            return;
        }

        var settings = _endpoint.Settings;
        var sendStartedAt = Volatile.Read(ref _sendStartedAt);
        if (sendStartedAt != 0 && settings.SendTimeoutMs != EndpointSettings.Off && now - sendStartedAt > settings.SendTimeoutMs)
        {
            // The peer is not reading: a close frame could not get through either, so abort.
            if (TrySetOutcome(new DisconnectInfo(DisconnectReason.SlowConsumer, WebSocketCloseStatus.PolicyViolation, "Send timed out", null)))
            {
                Log.SlowConsumer(_endpoint.Logger, Id, $"a send took longer than SendTimeout ({settings.SendTimeout})");
            }

            Socket.Abort();
            return;
        }

        var closeStartedAt = Volatile.Read(ref _closeStartedAt);
        if (closeStartedAt != 0)
        {
            // Once: the connection stays registered until its pump has finished, which can take more than one tick.
            if (now - closeStartedAt > settings.CloseTimeoutMs && Interlocked.Exchange(ref _closeTimedOut, 1) == 0)
            {
                if (!_peerClosed)
                {
                    Log.CloseTimedOut(_endpoint.Logger, Id, settings.CloseTimeout);
                }

                Socket.Abort();
            }

            return;
        }

        if (settings.IdleTimeoutMs != EndpointSettings.Off && now - Volatile.Read(ref _lastReceiveAt) > settings.IdleTimeoutMs)
        {
            Log.IdleTimeout(_endpoint.Logger, Id, settings.IdleTimeout);
            Observe(StartCloseAsync(new DisconnectInfo(DisconnectReason.IdleTimeout, WebSocketCloseStatus.EndpointUnavailable, "Idle timeout", null)));
        }
    }

    /// <summary>Starts closing with 1001 because the host is stopping.</summary>
    internal void CloseForShutdown() =>
        Observe(StartCloseAsync(new DisconnectInfo(DisconnectReason.ServerShutdown, WebSocketCloseStatus.EndpointUnavailable, "Server shutting down", null)));

    /// <summary>
    /// Ends the transport: when our close frame went unanswered (the server failed the connection), first lingers:
    /// drains what the peer still sends until its close frame has gone by, it goes quiet for 250 ms, it closes, or
    /// CloseTimeout has passed (a client that sends a whole oversized message before it reads needs the time), so the
    /// close frame is not lost to a TCP reset; then disposes the socket without letting the platform turn that into an
    /// abort, so TCP ends with a FIN once the request ends. Then fires <see cref="ConnectionClosed"/>.
    /// </summary>
    internal async Task EndAsync()
    {
        if (Volatile.Read(ref _closeFrameSend) is { } closeFrameSend)
        {
            // Let a close frame that is still queued behind a send go out first; the heartbeat bounds the wait.
            try
            {
                await closeFrameSend.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The caller of CloseAsync gave up waiting for the send lock; the frame was never sent.
            }
        }

        // A close frame went out but the peer's never came back (a protocol error, or one met while waiting for it):
        // bytes the peer is still sending would make closing TCP send a reset, which can destroy our close frame
        // before the peer reads it. (After an abort the transport is disposed and this returns at once.)
        if (_transport is { CloseStatusWritten: { } written } && !_peerClosed)
        {
            var settings = _endpoint.Settings;
            _lingering = true;
            var stillSending = await _transport.DrainAsync(
                s_lingerQuietPeriod < settings.CloseTimeout ? s_lingerQuietPeriod : settings.CloseTimeout,
                settings.CloseTimeout,
                Math.Max(settings.MaxMessageSize, LingerMaxBytes)).ConfigureAwait(false);
            if (stillSending)
            {
                Log.ClosedWhileStillSending(_endpoint.Logger, Id, written);
            }
        }

        _ended = true;
        _lifetime?.IgnoreAborts();
        Socket.Dispose();
        try
        {
            // Nobody asked for ConnectionClosed yet: publish the shared cancelled source instead of creating one.
            Interlocked.CompareExchange(ref _closed, s_endedSource, null)?.Cancel();
        }
        catch (AggregateException)
        {
            // A callback a handler registered on ConnectionClosed threw; the connection is over regardless.
        }
    }

    private static long Now() => Environment.TickCount64;

    private static CancellationTokenSource CreateEndedSource()
    {
        var source = new CancellationTokenSource();
        source.Cancel();
        return source;
    }

    private static WebSocketException ClosedError() =>
        new(WebSocketError.InvalidState, "The WebSocket connection is closing or closed; no more messages can be sent.");

    /// <summary>Finds the platform's keep-alive timeout error in <paramref name="error"/>, or returns null.</summary>
    /// <remarks>
    /// The platform gives that error no code of its own (it is <see cref="WebSocketError.Faulted"/>, like a protocol
    /// error), so it is recognised by its message, which names the option: "The WebSocket didn't receive a Pong frame in
    /// response to a Ping frame within the configured KeepAliveTimeout". It is thrown by
    /// <c>ManagedWebSocket.KeepAlivePingHeartBeat</c> in
    /// https://github.com/dotnet/runtime/blob/main/src/libraries/System.Net.WebSockets/src/System/Net/WebSockets/ManagedWebSocket.KeepAlive.cs
    /// (added by https://github.com/dotnet/runtime/pull/105841; the message is shown in
    /// https://learn.microsoft.com/dotnet/fundamentals/networking/websockets). The keep-alive tests notice if it changes.
    /// </remarks>
    private static WebSocketException? FindKeepAliveTimeoutError(Exception? error) => error switch
    {
        null => null,
        WebSocketException ws when ws.Message.Contains("KeepAliveTimeout", StringComparison.Ordinal) => ws,
        AggregateException aggregate => aggregate.InnerExceptions.Select(FindKeepAliveTimeoutError).FirstOrDefault(e => e is not null),
        _ => FindKeepAliveTimeoutError(error.InnerException),
    };

    /// <summary>
    /// Finds out whether a failed receive means the keep-alive timed out, and the platform's error that says so. The
    /// platform's WebSocket aborts itself then and keeps that error: when the transport's pending read fails with a
    /// non-cancellation error, the receive throws it wrapped together with the keep-alive error; but Kestrel fails the
    /// read with a ConnectionAbortedException, a cancellation, which the receive rethrows as is. The keep-alive error is
    /// then only reported by the next call on the aborted socket, as the inner exception of its invalid-state error: ask once.
    /// </summary>
    private WebSocketException? FindKeepAliveTimeout(Exception error)
    {
        var settings = _endpoint.Settings;
        if (!settings.KeepAliveEnabled || settings.KeepAliveTimeout == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        var found = FindKeepAliveTimeoutError(error);
        if (found is not null || Socket.State != WebSocketState.Aborted)
        {
            return found;
        }

        var probe = Socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
        if (!probe.IsCompleted)
        {
            // Not expected on an aborted socket; do not leave the receive unobserved.
            Observe(probe.AsTask());
            return null;
        }

        return probe.IsFaulted ? FindKeepAliveTimeoutError(probe.AsTask().Exception) : null;
    }

    private static void Observe(Task task)
    {
        if (!task.IsCompleted)
        {
            task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            _ = task.Exception;
        }
    }

    private CancellationTokenSource CreateClosedSource()
    {
        var created = new CancellationTokenSource();
        var current = Interlocked.CompareExchange(ref _closed, created, null);
        if (current is null)
        {
            return created;
        }

        created.Dispose();
        return current;
    }

    private bool TrySetOutcome(DisconnectInfo outcome) =>
        Interlocked.CompareExchange(ref _outcome, new StrongBox<DisconnectInfo>(outcome), null) is null;

    private ValueTask SendPooledAsync(byte[] buffer, int length, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        ValueTask send;
        try
        {
            send = SendAsync(buffer.AsMemory(0, length), type, cancellationToken);
        }
        catch
        {
            _endpoint.Pool.Return(buffer);
            throw;
        }

        if (send.IsCompleted)
        {
            _endpoint.Pool.Return(buffer);
            return send;
        }

        return ReturnWhenSentAsync(send, buffer);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReturnWhenSentAsync(ValueTask send, byte[] buffer)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        finally
        {
            _endpoint.Pool.Return(buffer);
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

            Volatile.Write(ref _sendStartedAt, Now());
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
            _endpoint.Metrics.MessageSent(_endpoint.Name, type, (int)length);
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
            _endpoint.Metrics.MessageSent(_endpoint.Name, type, (int)length);
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
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Add(ref _pendingSendBytes, -length);
            throw;
        }

        try
        {
            await WriteQueuedPushesAsync().ConfigureAwait(false);
            if (SendRefusal() is { } refused)
            {
                throw refused;
            }

            Volatile.Write(ref _sendStartedAt, Now());
            await Socket.SendAsync(payload, type, WebSocketMessageFlags.EndOfMessage, CancellationToken.None).ConfigureAwait(false);
            _endpoint.Metrics.MessageSent(_endpoint.Name, type, (int)length);
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
        Interlocked.Add(ref _pendingSendBytes, -length);
        _sendLock.Release();
    }

    /// <summary>Why a send cannot start now (the connection is closing or ended, or its transport is gone), or null.</summary>
    private WebSocketException? SendRefusal() =>
        CloseStarted || _ended ? ClosedError()
        : _transportLost.IsCancellationRequested ? LostError()
        : null;

    /// <summary>The underlying connection is gone: a send can never reach the peer.</summary>
    private WebSocketException LostError()
    {
        _transportFailed = true;
        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The WebSocket connection was lost: the underlying connection was reset or closed.");
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
            return error; // LostError: already says the connection was lost.
        }

        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The WebSocket connection was lost while sending.", error);
    }

    private WebSocketException OnPendingLimitExceeded(long pending)
    {
        if (TrySetOutcome(new DisconnectInfo(DisconnectReason.SlowConsumer, WebSocketCloseStatus.PolicyViolation, "Send buffer full", null)))
        {
            Log.SlowConsumer(_endpoint.Logger, Id, $"{pending} bytes waiting to be sent, over MaxPendingSendBytes ({_endpoint.Settings.MaxPendingSendBytes})");
        }

        Observe(StartCloseAsync(Outcome));
        return new WebSocketException(
            WebSocketError.InvalidState,
            "The peer does not read fast enough: more than MaxPendingSendBytes are waiting to be sent, so the connection is being closed with 1008.");
    }

    private async Task SendCloseFrameAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
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
            // The transport is gone; the receive side sees the same failure and ends the connection.
            _transportFailed = true;
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
