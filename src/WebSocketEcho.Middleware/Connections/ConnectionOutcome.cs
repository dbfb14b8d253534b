using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Why the connection ended: the first <see cref="ConnectionEnd"/> recorded wins, whoever records it, and the handler,
/// the log and the metrics are told that one (<see cref="Info"/>). It also sorts failures into ends: a failed receive
/// (<see cref="OnReceiveFailed"/>) and a handler that threw (<see cref="OnHandlerFailedAsync"/>).
/// </summary>
/// <remarks>
/// Callers: the receive loop (failed receives, handler failures; it reads <see cref="Info"/> once the connection has
/// ended); the close handshake (every close it starts or answers records its end first); senders (<c>Abort</c>, and
/// the writer when MaxPendingSendBytes is exceeded); the heartbeat (the send timeout).
/// </remarks>
internal sealed class ConnectionOutcome
{
    private readonly WebSocketConnection _connection;
    private StrongBox<DisconnectInfo>? _recorded;

    public ConnectionOutcome(WebSocketConnection connection) => _connection = connection;

    /// <summary>Gets how the connection ended, or is ending; <see cref="ConnectionEnd.NothingRecorded"/> if nothing was recorded.</summary>
    public DisconnectInfo Info => Volatile.Read(ref _recorded)?.Value ?? ConnectionEnd.NothingRecorded;

    /// <summary>Records <paramref name="end"/> unless an end was recorded before; true if it was recorded.</summary>
    public bool TryRecord(in DisconnectInfo end) =>
        Interlocked.CompareExchange(ref _recorded, new StrongBox<DisconnectInfo>(end), null) is null;

    /// <summary>Records <paramref name="end"/> and writes its log event, unless an end was recorded before; true if it was recorded.</summary>
    public bool TryRecordAndReport(in ConnectionEnd end)
    {
        if (!TryRecord(end.Info))
        {
            return false;
        }

        end.Report(_connection.Endpoint, _connection.Id);
        return true;
    }

    /// <summary>Records why receiving failed, unless the server had already decided how the connection ends.</summary>
    public void OnReceiveFailed(Exception error)
    {
        if (Volatile.Read(ref _recorded) is null)
        {
            TryRecordAndReport(ReceiveFailure(error));
        }
    }

    /// <summary>
    /// The handler threw in <paramref name="callback"/>. If the connection had already failed under it (a send to a
    /// vanished peer), that is a lost connection, not a handler bug; if a send failed because the connection was already
    /// closing, that is expected; otherwise it is a handler error: logged as an error, closed with 1011.
    /// </summary>
    public Task OnHandlerFailedAsync(Exception error, string callback)
    {
        var connection = _connection;
        if (connection.Writer.TransportFailed || connection.Socket.State is WebSocketState.Aborted or WebSocketState.Closed)
        {
            // Reported even when another end was recorded first: the handler's exception is logged either way.
            var lost = ConnectionEnd.ConnectionLost(error);
            TryRecord(lost.Info);
            lost.Report(connection.Endpoint, connection.Id);
            return Task.CompletedTask;
        }

        if (connection.Closing.IsStarted && error is WebSocketException { WebSocketErrorCode: WebSocketError.InvalidState })
        {
            // A send failed because the connection was already closing (host stopping, idle timeout, slow consumer,
            // the peer's close): expected, and the connection ends with the status already chosen, not 1011.
            Log.SendAfterClose(connection.Endpoint.Logger, connection.Id, callback);
            return Task.CompletedTask;
        }

        var failed = ConnectionEnd.HandlerError(error, callback);
        failed.Report(connection.Endpoint, connection.Id);
        return connection.Closing.StartAsync(failed.Info);
    }

    private ConnectionEnd ReceiveFailure(Exception error)
    {
        var connection = _connection;
        if (connection.Transport?.CloseStatusWritten is { } written && !connection.Closing.PeerClosed)
        {
            // The platform found a protocol violation and already sent the close frame (1002 or 1007).
            return ConnectionEnd.ProtocolError(written, error);
        }

        if (KeepAliveTimeoutError.Find(connection.Socket, connection.Endpoint.Settings, error) is { } keepAliveTimeout)
        {
            return ConnectionEnd.KeepAliveTimeout(keepAliveTimeout);
        }

        if (error is WebSocketException { WebSocketErrorCode: WebSocketError.Faulted or WebSocketError.HeaderError or WebSocketError.InvalidMessageType })
        {
            // A protocol violation whose close frame could not be written (no transport view, or the write failed).
            return ConnectionEnd.ProtocolError(null, error);
        }

        return ConnectionEnd.ConnectionLost(error);
    }
}
