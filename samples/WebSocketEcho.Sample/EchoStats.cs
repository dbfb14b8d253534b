namespace WebSocketEcho.Sample;

/// <summary>
/// What <c>GET /stats</c> returns: the echo endpoint's counters since the app started, added up from the
/// middleware's metrics (meter <c>WebSocketEcho.Middleware</c>) by <see cref="EchoStatsListener"/>.
/// </summary>
/// <param name="ActiveConnections">Connections open now (<c>websocket.server.active_connections</c>).</param>
/// <param name="TotalConnections">Connections opened since start (the increments of <c>websocket.server.active_connections</c>).</param>
/// <param name="ReceivedMessages">Whole messages received (<c>websocket.server.received.messages</c>).</param>
/// <param name="ReceivedBytes">Payload bytes received (<c>websocket.server.received.bytes</c>).</param>
/// <param name="SentMessages">Whole messages sent (<c>websocket.server.sent.messages</c>).</param>
/// <param name="SentBytes">Payload bytes sent (<c>websocket.server.sent.bytes</c>).</param>
/// <param name="RejectedUpgrades">Upgrade requests refused before the upgrade (<c>websocket.server.rejected_upgrades</c>).</param>
/// <param name="HandlerErrors">Exceptions thrown by the handler (<c>websocket.server.handler_errors</c>).</param>
internal sealed record EchoStats(
    long ActiveConnections,
    long TotalConnections,
    long ReceivedMessages,
    long ReceivedBytes,
    long SentMessages,
    long SentBytes,
    long RejectedUpgrades,
    long HandlerErrors);
