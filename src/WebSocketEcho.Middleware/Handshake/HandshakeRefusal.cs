using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace WebSocketEcho.Middleware;

/// <summary>The HTTP answer to an upgrade request the endpoint refuses, and the reason it is logged and counted under.</summary>
internal readonly struct HandshakeRefusal
{
    private HandshakeRefusal(int statusCode, string metricReason, string message, string? headerName = null, string? headerValue = null)
    {
        StatusCode = statusCode;
        MetricReason = metricReason;
        Message = message;
        HeaderName = headerName;
        HeaderValue = headerValue;
    }

    public int StatusCode { get; }

    /// <summary>Gets the low-cardinality reason used as the <c>websocket.rejection.reason</c> metric tag.</summary>
    public string MetricReason { get; }

    /// <summary>Gets the human-readable reason, written to the log and the response body.</summary>
    public string Message { get; }

    public string? HeaderName { get; }

    public string? HeaderValue { get; }

    public static HandshakeRefusal BadRequest(string metricReason, string message) =>
        new(StatusCodes.Status400BadRequest, metricReason, message);

    public static HandshakeRefusal MethodNotAllowed(string method) =>
        new(StatusCodes.Status405MethodNotAllowed, "invalid_handshake", $"A WebSocket handshake must use GET, not {method}.", HeaderNames.Allow, HttpMethods.Get);

    public static HandshakeRefusal UnsupportedVersion() =>
        new(StatusCodes.Status426UpgradeRequired, "unsupported_version", "Only WebSocket version 13 (RFC 6455) is supported.", HeaderNames.SecWebSocketVersion, "13");

    public static HandshakeRefusal Forbidden(string? origin) =>
        new(StatusCodes.Status403Forbidden, "origin", $"The origin '{origin}' is not allowed to open WebSockets here.");

    public static HandshakeRefusal TooManyConnections(int limit) =>
        new(StatusCodes.Status503ServiceUnavailable, "max_connections", $"The endpoint already holds MaxConnections ({limit}) connections.");

    public static HandshakeRefusal ShuttingDown() =>
        new(StatusCodes.Status503ServiceUnavailable, "shutting_down", "The server is shutting down.");

    public static HandshakeRefusal NotWebSocket() =>
        new(StatusCodes.Status400BadRequest, "not_websocket", "This endpoint only accepts WebSocket requests.");
}
