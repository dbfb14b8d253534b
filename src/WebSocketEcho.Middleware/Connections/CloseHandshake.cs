using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The server side of the close handshake (RFC 6455 sections 5.5.1 and 7), and the end of the connection. The server
/// sends one close frame, through the single writer: its own (<see cref="StartAsync"/>) or the answer to the peer's
/// (<see cref="OnPeerCloseAsync"/>). Then it reads until the peer's close frame arrives (<see cref="FinishAsync"/>;
/// the heartbeat aborts after CloseTimeout), except after failing the connection, when it lingers instead
/// (<see cref="EndAsync"/>). Finally it ends the transport and fires <see cref="IWebSocketConnection.ConnectionClosed"/>.
/// </summary>
/// <remarks>
/// Callers: the receive loop (the peer's close frame, closes for refused messages and handler errors through the
/// outcome, <see cref="FinishAsync"/> and <see cref="EndAsync"/>); senders (<see cref="IWebSocketConnection.CloseAsync"/>
/// from any thread, and the writer when MaxPendingSendBytes is exceeded; the writer also reads <see cref="IsStarted"/>
/// and <see cref="HasEnded"/> before every send); the heartbeat (the idle timeout; it reads <see cref="StartedAt"/>,
/// <see cref="PeerClosed"/>, <see cref="IsLingering"/> and <see cref="HasEnded"/> for the close timeout) and host
/// shutdown (<see cref="StartForShutdown"/>). The first close started or answered wins; later ones do nothing.
/// </remarks>
[SuppressMessage(
    "Reliability",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "The ConnectionClosed source is not disposed on purpose: its tokens outlive the connection in handler code. It holds no timer or wait handle.")]
internal sealed class CloseHandshake
{
    /// <summary>How long a lingering close waits for more bytes from a peer whose connection the server failed.</summary>
    private static readonly TimeSpan s_lingerQuietPeriod = TimeSpan.FromMilliseconds(250);

    /// <summary>The ConnectionClosed source of every connection that ended before anyone asked for it: already cancelled.</summary>
    private static readonly CancellationTokenSource s_endedSource = CreateEndedSource();

    /// <summary>
    /// The most bytes (at least; MaxMessageSize if larger) read and discarded after the server's close frame, while
    /// waiting for the peer's or lingering. Generous: browsers and ClientWebSocket send a whole (oversized) message before
    /// they read the 1009, and a reset then would destroy that close frame. CloseTimeout bounds the time.
    /// </summary>
    private const int MaxDiscardedBytes = 64 * 1024 * 1024;

    private readonly WebSocketConnection _connection;
    private CancellationTokenSource? _ended;
    private Task? _closeFrameSend;
    private long _startedAt;
    private int _started;
    private volatile bool _peerClosed;
    private volatile bool _failing;
    private volatile bool _lingering;
    private volatile bool _hasEnded;

    public CloseHandshake(WebSocketConnection connection) => _connection = connection;

    /// <summary>Gets a value indicating whether the server has started (or answered) the close handshake.</summary>
    public bool IsStarted => Volatile.Read(ref _started) != 0;

    /// <summary>Gets when (<see cref="Environment.TickCount64"/>) the server started or answered the close handshake, or 0.</summary>
    public long StartedAt => Volatile.Read(ref _startedAt);

    /// <summary>Gets a value indicating whether the peer's close frame arrived.</summary>
    public bool PeerClosed => _peerClosed;

    /// <summary>Gets a value indicating whether the server is failing the connection (<see cref="ConnectionEnd.FailsConnection"/>): queued pushes are dropped.</summary>
    public bool IsFailing => _failing;

    /// <summary>Gets a value indicating whether the connection lingers after the server failed it (it bounds itself).</summary>
    public bool IsLingering => _lingering;

    /// <summary>Gets a value indicating whether the connection has ended: its socket is disposed.</summary>
    public bool HasEnded => _hasEnded;

    /// <summary>
    /// Gets a value indicating whether the server waits for the peer's close frame now that it has started closing.
    /// Not when it failed the connection (<see cref="ConnectionEnd.FailsConnection"/>) and sees the transport: that peer's
    /// close frame may never come (it can sit inside a frame the peer declared and never finishes), so the connection
    /// lingers briefly instead (<see cref="EndAsync"/>).
    /// </summary>
    public bool AwaitsPeerClose => IsStarted && !(_failing && _connection.Transport is not null);

    /// <summary>Gets the token that fires when the connection has ended; created on first use.</summary>
    public CancellationToken EndedToken => (Volatile.Read(ref _ended) ?? CreateEndedSourceOnce()).Token;

    private WebSocket Socket => _connection.Socket;

    /// <summary>
    /// Records <paramref name="end"/> as the outcome (the first recorded wins) and starts the server side of the close
    /// handshake with its close status and description (once; later calls return at once).
    /// </summary>
    public async Task StartAsync(DisconnectInfo end, CancellationToken cancellationToken = default)
    {
        _connection.Outcome.TryRecord(end);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _startedAt, Environment.TickCount64);
        _failing = ConnectionEnd.FailsConnection(end);
        var send = _connection.Writer.SendCloseFrameAsync(end.CloseStatus ?? WebSocketCloseStatus.NormalClosure, end.CloseStatusDescription, cancellationToken);
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
                _connection.Transport?.StopReads();
            }
        }
    }

    /// <summary>Starts closing with 1001 because the host is stopping, without waiting; called by host shutdown.</summary>
    public void StartForShutdown() => Unawaited.Observe(StartAsync(ConnectionEnd.ServerShutdown().Info));

    /// <summary>The peer's close frame arrived: answer it with the same status (RFC 6455 section 5.5.1) unless the server closed first.</summary>
    public Task OnPeerCloseAsync()
    {
        _peerClosed = true;
        var status = Socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure;
        _connection.Outcome.TryRecord(ConnectionEnd.ClosedByPeer(status, Socket.CloseStatusDescription).Info);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return Task.CompletedTask;
        }

        Volatile.Write(ref _startedAt, Environment.TickCount64);
        var send = _connection.Writer.SendCloseFrameAsync(CloseStatusRules.IsSendable(status) ? status : WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Volatile.Write(ref _closeFrameSend, send);
        return send;
    }

    /// <summary>
    /// After the server started closing, the receive loop keeps reading (and discarding) until the peer's close frame
    /// arrives, so the server closes TCP only after a complete handshake. The heartbeat aborts after CloseTimeout. Not
    /// when the server failed the connection (<see cref="AwaitsPeerClose"/>).
    /// </summary>
    public async Task FinishAsync()
    {
        if (!AwaitsPeerClose)
        {
            return;
        }

        var socket = Socket;
        var endpoint = _connection.Endpoint;
        var scratch = endpoint.Pool.Rent(4096);
        try
        {
            long discarded = 0;
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(scratch, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await OnPeerCloseAsync().ConfigureAwait(false);
                    return;
                }

                // Bound the work a peer can make the server do after it was told to close.
                discarded += result.Count;
                if (discarded > MaxDiscarded(endpoint.Settings))
                {
                    socket.Abort();
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            _connection.Outcome.OnReceiveFailed(ex);
        }
        finally
        {
            endpoint.Pool.Return(scratch);
        }
    }

    /// <summary>
    /// Ends the transport; only the receive loop calls it, last. When our close frame went unanswered (the server failed
    /// the connection), first lingers: drains what the peer still sends until its close frame has gone by, it goes quiet
    /// for 250 ms, it closes, or CloseTimeout has passed (a client that sends a whole oversized message before it reads
    /// needs the time), so the close frame is not lost to a TCP reset; then disposes the socket without letting the
    /// platform turn that into an abort (<see cref="LifetimeGate"/>), so TCP ends with a FIN once the request ends. Then
    /// fires <see cref="EndedToken"/>.
    /// </summary>
    public async Task EndAsync()
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
        var transport = _connection.Transport;
        if (transport is { CloseStatusWritten: { } written } && !_peerClosed)
        {
            var settings = _connection.Endpoint.Settings;
            _lingering = true;
            var stillSending = await transport.DrainAsync(
                s_lingerQuietPeriod < settings.CloseTimeout ? s_lingerQuietPeriod : settings.CloseTimeout,
                settings.CloseTimeout,
                MaxDiscarded(settings)).ConfigureAwait(false);
            if (stillSending)
            {
                Log.ClosedWhileStillSending(_connection.Endpoint.Logger, _connection.Id, written);
            }
        }

        _hasEnded = true;
        _connection.Lifetime?.IgnoreAborts();
        Socket.Dispose();
        try
        {
            // Nobody asked for ConnectionClosed yet: publish the shared cancelled source instead of creating one.
            Interlocked.CompareExchange(ref _ended, s_endedSource, null)?.Cancel();
        }
        catch (AggregateException)
        {
            // A callback a handler registered on ConnectionClosed threw; the connection is over regardless.
        }
    }

    private static int MaxDiscarded(EndpointSettings settings) => Math.Max(settings.MaxMessageSize, MaxDiscardedBytes);

    private static CancellationTokenSource CreateEndedSource()
    {
        var source = new CancellationTokenSource();
        source.Cancel();
        return source;
    }

    private CancellationTokenSource CreateEndedSourceOnce()
    {
        var created = new CancellationTokenSource();
        var current = Interlocked.CompareExchange(ref _ended, created, null);
        if (current is null)
        {
            return created;
        }

        created.Dispose();
        return current;
    }
}
