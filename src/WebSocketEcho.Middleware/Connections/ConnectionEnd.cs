using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Every way a connection ends, named in one place (as <see cref="HandshakeRefusal"/> names every refused upgrade): the
/// <see cref="DisconnectReason"/> the handler, the log and the metrics see, the close status and description the server
/// sends (none when no close frame of its own choosing ends the connection), and the log event that reports it. The
/// connection keeps the first end recorded (<see cref="ConnectionOutcome"/>); event 2 (ConnectionClosed) then reports
/// it once more when the connection has ended, whichever it was.
/// </summary>
/// <remarks>
/// <code>
/// Entry             Reason            Close status, description          Log event (id, name)
/// ClosedByPeer      ClosedByPeer      the peer's                         - (event 2 only)
/// ClosedByServer    ClosedByServer    the application's                  - (event 2 only)
/// Aborted           ClosedByServer    none                               - (event 2 only)
/// ServerShutdown    ServerShutdown    1001 "Server shutting down"        11 ShuttingDown, once per endpoint, by the registry
/// IdleTimeout       IdleTimeout       1001 "Idle timeout"                9 IdleTimeout
/// KeepAliveTimeout  KeepAliveTimeout  none                               8 KeepAliveTimeout
/// SendTimedOut      SlowConsumer      1008 "Send timed out" (not sent)   10 SlowConsumer
/// SendBufferFull    SlowConsumer      1008 "Send buffer full"            10 SlowConsumer
/// MessageTooBig     MessageTooBig     1009 "Message too big"             4 MessageTooBig
/// TooManyFragments  MessageTooBig     1009 "Too many fragments"          13 TooManyFragments
/// InvalidUtf8       ProtocolError     1007 "Invalid UTF-8"               6 ProtocolError
/// ProtocolError     ProtocolError     the platform's 1002 or 1007, or none  6 ProtocolError
/// HandlerError      HandlerError      1011 "Internal server error"       5 HandlerError (Error; also counted as a handler error)
/// ConnectionLost    ConnectionLost    none                               7 ConnectionLost
/// NothingRecorded   ConnectionLost    none                               - (event 2 only)
/// </code>
/// The server sends the close status it records, with two exceptions: it answers a peer's close with the peer's status
/// (1000 when that one may not be sent, <see cref="CloseStatusRules.IsSendable"/>), and after SendTimedOut it aborts
/// instead (a peer that does not read would not read a close frame either). The event ids are stable (<see cref="Log"/>).
/// Who picks which: the receive loop (the peer's close through the close handshake, refused messages, failed receives and
/// handler failures through the outcome), senders (CloseAsync, Abort, a send buffer over MaxPendingSendBytes), the
/// heartbeat (send and idle timeouts) and host shutdown.
/// </remarks>
internal readonly struct ConnectionEnd
{
    private readonly Kind _kind;
    private readonly long _pendingBytes;
    private readonly string? _callback;

    private ConnectionEnd(Kind kind, DisconnectReason reason, WebSocketCloseStatus? status, string? description, Exception? error, long pendingBytes = 0, string? callback = null)
    {
        _kind = kind;
        _pendingBytes = pendingBytes;
        _callback = callback;
        Info = new DisconnectInfo(reason, status, description, error);
    }

    private enum Kind
    {
        Quiet,
        IdleTimeout,
        KeepAliveTimeout,
        SendTimedOut,
        SendBufferFull,
        MessageTooBig,
        TooManyFragments,
        ProtocolError,
        HandlerError,
        ConnectionLost,
    }

    /// <summary>Gets what the handler is told (<see cref="IMessageHandler.OnDisconnectedAsync"/>), and what the close frame carries.</summary>
    public DisconnectInfo Info { get; }

    /// <summary>Gets how a connection ended that recorded nothing: it was lost.</summary>
    public static DisconnectInfo NothingRecorded => new(DisconnectReason.ConnectionLost, null, null, null);

    /// <summary>The peer sent its close frame first; the server answers with the same status.</summary>
    public static ConnectionEnd ClosedByPeer(WebSocketCloseStatus status, string? description) =>
        new(Kind.Quiet, DisconnectReason.ClosedByPeer, status, description, null);

    /// <summary>The application called <see cref="IWebSocketConnection.CloseAsync"/>; the reason is cut to 123 UTF-8 bytes.</summary>
    public static ConnectionEnd ClosedByServer(WebSocketCloseStatus status, string? description) =>
        new(Kind.Quiet, DisconnectReason.ClosedByServer, status, CloseStatusRules.TruncateReason(description), null);

    /// <summary>The application called <see cref="IWebSocketConnection.Abort"/>: no close frame.</summary>
    public static ConnectionEnd Aborted() => new(Kind.Quiet, DisconnectReason.ClosedByServer, null, null, null);

    /// <summary>The host is stopping. The registry logs event 11 once for all of an endpoint's connections.</summary>
    public static ConnectionEnd ServerShutdown() =>
        new(Kind.Quiet, DisconnectReason.ServerShutdown, WebSocketCloseStatus.EndpointUnavailable, "Server shutting down", null);

    /// <summary>The peer sent nothing for IdleTimeout.</summary>
    public static ConnectionEnd IdleTimeout() =>
        new(Kind.IdleTimeout, DisconnectReason.IdleTimeout, WebSocketCloseStatus.EndpointUnavailable, "Idle timeout", null);

    /// <summary>The peer did not answer a keep-alive ping within KeepAliveTimeout; <paramref name="error"/> is the platform's.</summary>
    public static ConnectionEnd KeepAliveTimeout(Exception error) =>
        new(Kind.KeepAliveTimeout, DisconnectReason.KeepAliveTimeout, null, null, error);

    /// <summary>A send took longer than SendTimeout: the peer does not read. The connection is aborted.</summary>
    public static ConnectionEnd SendTimedOut() =>
        new(Kind.SendTimedOut, DisconnectReason.SlowConsumer, WebSocketCloseStatus.PolicyViolation, "Send timed out", null);

    /// <summary><paramref name="pendingBytes"/> bytes waited to be sent, over MaxPendingSendBytes.</summary>
    public static ConnectionEnd SendBufferFull(long pendingBytes) =>
        new(Kind.SendBufferFull, DisconnectReason.SlowConsumer, WebSocketCloseStatus.PolicyViolation, "Send buffer full", null, pendingBytes);

    /// <summary>A message was bigger than MaxMessageSize.</summary>
    public static ConnectionEnd MessageTooBig() =>
        new(Kind.MessageTooBig, DisconnectReason.MessageTooBig, WebSocketCloseStatus.MessageTooBig, "Message too big", null);

    /// <summary>A message had more than MaxFragmentsPerMessage frames.</summary>
    public static ConnectionEnd TooManyFragments() =>
        new(Kind.TooManyFragments, DisconnectReason.MessageTooBig, WebSocketCloseStatus.MessageTooBig, "Too many fragments", null);

    /// <summary>
    /// A text message ended inside a UTF-8 sequence with an empty last frame: the one case the platform's validation
    /// lets through (see <see cref="MessagePump"/>).
    /// </summary>
    public static ConnectionEnd InvalidUtf8() => new(
        Kind.ProtocolError,
        DisconnectReason.ProtocolError,
        WebSocketCloseStatus.InvalidPayloadData,
        "Invalid UTF-8",
        new WebSocketException(WebSocketError.Faulted, "The text message ends with an incomplete UTF-8 sequence."));

    /// <summary>
    /// The platform found a protocol violation (<paramref name="error"/>); <paramref name="statusSent"/> is the close
    /// status it sent (1002 or 1007, seen by the transport), or null when no close frame went out.
    /// </summary>
    public static ConnectionEnd ProtocolError(WebSocketCloseStatus? statusSent, Exception error) =>
        new(Kind.ProtocolError, DisconnectReason.ProtocolError, statusSent, null, error);

    /// <summary>The handler threw <paramref name="error"/> in <paramref name="callback"/>.</summary>
    public static ConnectionEnd HandlerError(Exception error, string callback) =>
        new(Kind.HandlerError, DisconnectReason.HandlerError, WebSocketCloseStatus.InternalServerError, "Internal server error", error, callback: callback);

    /// <summary>The transport ended without a close handshake (<paramref name="error"/> says how).</summary>
    public static ConnectionEnd ConnectionLost(Exception error) =>
        new(Kind.ConnectionLost, DisconnectReason.ConnectionLost, null, null, error);

    /// <summary>
    /// Whether the server fails the connection with this end (RFC 6455 section 7.1.7: the peer broke the protocol or a
    /// limit): it then stops reading and lingers instead of waiting for the peer's close frame.
    /// </summary>
    public static bool FailsConnection(in DisconnectInfo info) =>
        info.Reason is DisconnectReason.ProtocolError or DisconnectReason.MessageTooBig or DisconnectReason.SlowConsumer;

    /// <summary>Writes this end's log event (see the table above) for connection <paramref name="connectionId"/>.</summary>
    public void Report(EndpointContext endpoint, string connectionId)
    {
        var logger = endpoint.Logger;
        var settings = endpoint.Settings;
        switch (_kind)
        {
            case Kind.IdleTimeout:
                Log.IdleTimeout(logger, connectionId, settings.IdleTimeout);
                break;
            case Kind.KeepAliveTimeout:
                Log.KeepAliveTimeout(logger, connectionId, settings.KeepAliveTimeout);
                break;
            case Kind.SendTimedOut:
                Log.SlowConsumer(logger, connectionId, $"a send took longer than SendTimeout ({settings.SendTimeout})");
                break;
            case Kind.SendBufferFull:
                Log.SlowConsumer(logger, connectionId, $"{_pendingBytes} bytes waiting to be sent, over MaxPendingSendBytes ({settings.MaxPendingSendBytes})");
                break;
            case Kind.MessageTooBig:
                Log.MessageTooBig(logger, connectionId, settings.MaxMessageSize);
                break;
            case Kind.TooManyFragments:
                Log.TooManyFragments(logger, connectionId, settings.MaxFragmentsPerMessage);
                break;
            case Kind.ProtocolError:
                Log.ProtocolError(logger, connectionId, Info.CloseStatus, Info.Error!);
                break;
            case Kind.HandlerError:
                Log.HandlerError(logger, Info.Error!, _callback!, connectionId);
                endpoint.Metrics.HandlerError(endpoint.Name, _callback!, Info.Error!);
                break;
            case Kind.ConnectionLost:
                Log.ConnectionLost(logger, connectionId, Info.Error!.Message);
                break;
        }
    }
}
