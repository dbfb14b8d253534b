namespace WebSocketEcho.Middleware;

/// <summary>
/// The timeouts the endpoint's heartbeat enforces on one connection: SendTimeout (a send in progress for too long: the
/// peer does not read, abort), CloseTimeout (a close handshake the peer does not finish: abort) and IdleTimeout (no data
/// from the peer: close with 1001). The keep-alive timeout is the platform's own (<see cref="KeepAliveTimeoutError"/>).
/// </summary>
/// <remarks>
/// Callers: the receive loop notes every data frame that arrives (<see cref="OnDataReceived"/>); the heartbeat timer
/// (<see cref="ConnectionRegistry"/>) calls <see cref="OnHeartbeat"/> every HeartbeatPeriod for every open connection.
/// It reads the writer's and the close handshake's state, and acts through the outcome, the close handshake and an abort.
/// </remarks>
internal sealed class ConnectionTimeouts
{
    private readonly WebSocketConnection _connection;
    private long _lastReceiveAt;
    private int _closeTimedOut;

    public ConnectionTimeouts(WebSocketConnection connection)
    {
        _connection = connection;
        _lastReceiveAt = Environment.TickCount64;
    }

    /// <summary>Notes that a data frame arrived (for the idle timeout).</summary>
    public void OnDataReceived() => Volatile.Write(ref _lastReceiveAt, Environment.TickCount64);

    /// <summary>Enforces the send, close and idle timeouts at <paramref name="now"/> (<see cref="Environment.TickCount64"/>).</summary>
    public void OnHeartbeat(long now)
    {
        var connection = _connection;
        var closing = connection.Closing;
        if (closing.HasEnded || closing.IsLingering)
        {
            // A lingering close bounds itself; an abort now would end it with a TCP reset.
            return;
        }

        var settings = connection.Endpoint.Settings;
        var sendStartedAt = connection.Writer.SendStartedAt;
        if (sendStartedAt != 0 && settings.SendTimeoutMs != EndpointSettings.Off && now - sendStartedAt > settings.SendTimeoutMs)
        {
            // The peer is not reading: a close frame could not get through either, so abort.
            connection.Outcome.TryRecordAndReport(ConnectionEnd.SendTimedOut());
            connection.Socket.Abort();
            return;
        }

        var closeStartedAt = closing.StartedAt;
        if (closeStartedAt != 0)
        {
            // Once: the connection stays registered until its pump has finished, which can take more than one tick.
            if (now - closeStartedAt > settings.CloseTimeoutMs && Interlocked.Exchange(ref _closeTimedOut, 1) == 0)
            {
                if (!closing.PeerClosed)
                {
                    Log.CloseTimedOut(connection.Endpoint.Logger, connection.Id, settings.CloseTimeout);
                }

                connection.Socket.Abort();
            }

            return;
        }

        if (settings.IdleTimeoutMs != EndpointSettings.Off && now - Volatile.Read(ref _lastReceiveAt) > settings.IdleTimeoutMs)
        {
            var idle = ConnectionEnd.IdleTimeout();
            idle.Report(connection.Endpoint, connection.Id);
            Unawaited.Observe(closing.StartAsync(idle.Info));
        }
    }
}
