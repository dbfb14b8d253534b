using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Tells WebSocket handshakes from other requests, and explains why a handshake the platform refused is invalid,
/// so the client gets a precise HTTP answer (RFC 6455 section 4.2.1) instead of falling through to a 404.
/// </summary>
internal static class HandshakeValidator
{
    private const string WebSocketToken = "websocket";
    private const string SupportedVersion = "13";

    /// <summary>Whether the request tries to open a WebSocket (valid or not), as opposed to being a plain HTTP request.</summary>
    public static bool IsUpgradeAttempt(HttpRequest request, IHttpExtendedConnectFeature? connect)
    {
        if (connect is { IsExtendedConnect: true })
        {
            return string.Equals(connect.Protocol, WebSocketToken, StringComparison.OrdinalIgnoreCase);
        }

        var headers = request.Headers;
        return HasToken(headers, HeaderNames.Upgrade, WebSocketToken)
            || headers.ContainsKey(HeaderNames.SecWebSocketKey)
            || headers.ContainsKey(HeaderNames.SecWebSocketVersion);
    }

    /// <summary>Explains why <paramref name="request"/> is not an acceptable WebSocket handshake.</summary>
    public static HandshakeRefusal Diagnose(HttpRequest request, IHttpExtendedConnectFeature? connect)
    {
        var headers = request.Headers;
        if (connect is { IsExtendedConnect: true })
        {
            return HasSupportedVersion(headers)
                ? HandshakeRefusal.BadRequest("invalid_handshake", "An HTTP/2 WebSocket request must be an extended CONNECT with :protocol websocket.")
                : HandshakeRefusal.UnsupportedVersion();
        }

        if (TryRefuseWhatThePlatformAccepts(request, out var refusal))
        {
            return refusal;
        }

        if (!HttpMethods.IsGet(request.Method))
        {
            return HandshakeRefusal.MethodNotAllowed(request.Method);
        }

        if (!HasToken(headers, HeaderNames.Upgrade, WebSocketToken))
        {
            return HandshakeRefusal.BadRequest("invalid_handshake", "The Upgrade header must be 'websocket'.");
        }

        if (!HasToken(headers, HeaderNames.Connection, "Upgrade"))
        {
            return HandshakeRefusal.BadRequest("invalid_handshake", "The Connection header must contain 'Upgrade'.");
        }

        if (!HasSupportedVersion(headers))
        {
            return HandshakeRefusal.UnsupportedVersion();
        }

        var keys = headers.SecWebSocketKey;
        if (keys.Count != 1)
        {
            return HandshakeRefusal.BadRequest("invalid_handshake", keys.Count == 0
                ? "The Sec-WebSocket-Key header is missing."
                : "The Sec-WebSocket-Key header must appear once.");
        }

        if (!IsValidKey(keys.ToString()))
        {
            return HandshakeRefusal.BadRequest("invalid_handshake", "The Sec-WebSocket-Key header must be the base64 encoding of 16 bytes.");
        }

        return HandshakeRefusal.BadRequest("invalid_handshake", "The request is not a valid WebSocket handshake.");
    }

    /// <summary>
    /// Finds what RFC 6455 forbids but the platform's handshake accepts: a request below HTTP/1.1 (section 4.1: "the
    /// HTTP version MUST be at least 1.1") and a repeated Sec-WebSocket-Version header (section 11.3.5: it "MUST NOT
    /// appear more than once in an HTTP request"; the platform reads repeated values as a list). Checked before the
    /// platform sees the request, so such a request is refused instead of upgraded.
    /// </summary>
    public static bool TryRefuseWhatThePlatformAccepts(HttpRequest request, out HandshakeRefusal refusal)
    {
        if (HttpProtocol.IsHttp10(request.Protocol) || HttpProtocol.IsHttp09(request.Protocol))
        {
            refusal = HandshakeRefusal.BadRequest("invalid_handshake", $"A WebSocket handshake needs HTTP/1.1 or later; the request used {request.Protocol}.");
            return true;
        }

        if (request.Headers.SecWebSocketVersion.Count > 1)
        {
            refusal = HandshakeRefusal.BadRequest("invalid_handshake", "The Sec-WebSocket-Version header must appear once.");
            return true;
        }

        refusal = default;
        return false;
    }

    /// <summary>Whether <paramref name="key"/> is the base64 encoding of exactly 16 bytes (RFC 6455 section 4.1).</summary>
    public static bool IsValidKey(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length != 24)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }

    private static bool HasSupportedVersion(IHeaderDictionary headers)
    {
        var versions = headers.SecWebSocketVersion;
        return versions.Count == 1 && string.Equals(versions.ToString().Trim(), SupportedVersion, StringComparison.Ordinal);
    }

    private static bool HasToken(IHeaderDictionary headers, string name, string token)
    {
        StringValues values = headers[name];
        if (values.Count == 0)
        {
            return false;
        }

        foreach (var value in headers.GetCommaSeparatedValues(name))
        {
            if (string.Equals(value.Trim(), token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
