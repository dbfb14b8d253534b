using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Every log message the middleware writes, source-generated. Event ids are stable: dashboards and alerts may rely on them.
/// Expected disconnects are Debug; refusals and peers breaking the rules are Information; only handler failures are Error.
/// </summary>
internal static partial class Log
{
    /// <summary>The logger category of everything the middleware logs.</summary>
    public const string Category = "WebSocketEcho.Middleware";

    [LoggerMessage(1, LogLevel.Debug, "WebSocket connection {ConnectionId} opened on {Endpoint} (request {TraceIdentifier}, subprotocol: {SubProtocol}).", EventName = "ConnectionOpened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string endpoint, string traceIdentifier, string? subProtocol);

    [LoggerMessage(2, LogLevel.Debug, "WebSocket connection {ConnectionId} closed: {DisconnectReason}, close status {CloseStatus} \"{CloseDescription}\", after {DurationMs:0} ms.", EventName = "ConnectionClosed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, DisconnectReason disconnectReason, int? closeStatus, string? closeDescription, double durationMs);

    [LoggerMessage(3, LogLevel.Information, "WebSocket upgrade on {Endpoint} refused with {StatusCode}: {RefusalReason}", EventName = "UpgradeRefused")]
    public static partial void UpgradeRefused(ILogger logger, string endpoint, int statusCode, string refusalReason);

    [LoggerMessage(4, LogLevel.Information, "WebSocket connection {ConnectionId} sent a message over MaxMessageSize ({MaxMessageSize} bytes); closing it with 1009.", EventName = "MessageTooBig")]
    public static partial void MessageTooBig(ILogger logger, string connectionId, int maxMessageSize);

    [LoggerMessage(5, LogLevel.Error, "The message handler threw in {Callback} on WebSocket connection {ConnectionId}; the connection is closed with 1011.", EventName = "HandlerError")]
    public static partial void HandlerError(ILogger logger, Exception exception, string callback, string connectionId);

    [LoggerMessage(6, LogLevel.Information, "WebSocket connection {ConnectionId} broke the protocol and was closed with {CloseStatus}: {Detail}", EventName = "ProtocolError")]
    public static partial void ProtocolError(ILogger logger, string connectionId, int? closeStatus, string detail);

    [LoggerMessage(7, LogLevel.Debug, "WebSocket connection {ConnectionId} ended without a close handshake: {Detail}", EventName = "ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string connectionId, string detail);

    [LoggerMessage(8, LogLevel.Debug, "WebSocket connection {ConnectionId} did not answer a keep-alive ping within {KeepAliveTimeout}; dropped.", EventName = "KeepAliveTimeout")]
    public static partial void KeepAliveTimeout(ILogger logger, string connectionId, TimeSpan keepAliveTimeout);

    [LoggerMessage(9, LogLevel.Debug, "WebSocket connection {ConnectionId} sent nothing for {IdleTimeout}; closing it with 1001.", EventName = "IdleTimeout")]
    public static partial void IdleTimeout(ILogger logger, string connectionId, TimeSpan idleTimeout);

    [LoggerMessage(10, LogLevel.Information, "WebSocket connection {ConnectionId} does not read fast enough ({Detail}); closing it with 1008.", EventName = "SlowConsumer")]
    public static partial void SlowConsumer(ILogger logger, string connectionId, string detail);

    [LoggerMessage(11, LogLevel.Information, "Host is stopping: closing {Count} WebSocket connection(s) on {Endpoint} with 1001.", EventName = "ShuttingDown")]
    public static partial void ShuttingDown(ILogger logger, int count, string endpoint);

    [LoggerMessage(12, LogLevel.Debug, "WebSocket connection {ConnectionId} did not answer the close frame within {CloseTimeout}; aborted.", EventName = "CloseTimedOut")]
    public static partial void CloseTimedOut(ILogger logger, string connectionId, TimeSpan closeTimeout);

    [LoggerMessage(13, LogLevel.Information, "WebSocket connection {ConnectionId} split a message into more than MaxFragmentsPerMessage ({MaxFragments}) frames; closing it with 1009.", EventName = "TooManyFragments")]
    public static partial void TooManyFragments(ILogger logger, string connectionId, int maxFragments);

    [LoggerMessage(14, LogLevel.Debug, "WebSocket handshake on {Endpoint} failed before the connection opened.", EventName = "AcceptFailed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception, string endpoint);

    [LoggerMessage(15, LogLevel.Error, "The message handler threw in OnDisconnectedAsync on WebSocket connection {ConnectionId}.", EventName = "DisconnectHandlerError")]
    public static partial void DisconnectHandlerError(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(16, LogLevel.Debug, "The message handler's send in {Callback} on WebSocket connection {ConnectionId} failed because the connection was already closing; not a handler error.", EventName = "SendAfterClose")]
    public static partial void SendAfterClose(ILogger logger, string connectionId, string callback);

    [LoggerMessage(17, LogLevel.Debug, "WebSocket connection {ConnectionId} {GroupChange} group {Group} in {PushScope}.", EventName = "GroupChanged")]
    public static partial void GroupChanged(ILogger logger, string connectionId, string groupChange, string group, string pushScope);

    [LoggerMessage(18, LogLevel.Debug, "No open WebSocket connection {ConnectionId} in {PushScope} to add to or remove from group {Group}.", EventName = "GroupConnectionNotFound")]
    public static partial void GroupConnectionNotFound(ILogger logger, string connectionId, string group, string pushScope);

    [LoggerMessage(19, LogLevel.Debug, "No open WebSocket connection {ConnectionId} in {PushScope}: the push reached nobody there.", EventName = "PushConnectionNotFound")]
    public static partial void PushConnectionNotFound(ILogger logger, string connectionId, string pushScope);

    [LoggerMessage(20, LogLevel.Warning, "The WebSocket backplane threw in {Operation} for {PushScope}; counted as not delivered to other instances. A backplane should report failures in its result instead.", EventName = "BackplaneFailed")]
    public static partial void BackplaneFailed(ILogger logger, Exception exception, string operation, string pushScope);

    [LoggerMessage(21, LogLevel.Debug, "A push queued for WebSocket connection {ConnectionId} was not sent: {Detail}", EventName = "PushNotSent")]
    public static partial void PushNotSent(ILogger logger, string connectionId, string detail);

    public static void ConnectionClosed(ILogger logger, string connectionId, DisconnectInfo info, TimeSpan duration)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionClosed(logger, connectionId, info.Reason, (int?)info.CloseStatus, info.CloseStatusDescription, duration.TotalMilliseconds);
        }
    }

    public static void ProtocolError(ILogger logger, string connectionId, WebSocketCloseStatus? status, Exception error) =>
        ProtocolError(logger, connectionId, (int?)status, error.Message);

    public static void ClosedWhileStillSending(ILogger logger, string connectionId, WebSocketCloseStatus status) =>
        ClosedWhileStillSending(logger, connectionId, (int)status);

    [LoggerMessage(40, LogLevel.Debug, "WebSocket connection {ConnectionId} was still sending when the server stopped lingering after failing it with {CloseStatus}; TCP was closed anyway, so a peer that had not read the close frame yet may see a reset instead.", EventName = "ClosedWhileStillSending")]
    public static partial void ClosedWhileStillSending(ILogger logger, string connectionId, int closeStatus);
}
