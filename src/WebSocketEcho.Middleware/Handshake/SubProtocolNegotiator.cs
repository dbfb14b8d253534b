using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Middleware;

/// <summary>Selects the subprotocol from the client's <c>Sec-WebSocket-Protocol</c> offer, in the server's order of preference.</summary>
internal static class SubProtocolNegotiator
{
    /// <summary>Returns the first of <paramref name="supported"/> the client offered, or <see langword="null"/>.</summary>
    public static string? Select(string[] supported, HttpContext context)
    {
        if (supported.Length == 0)
        {
            return null;
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        if (requested.Count == 0)
        {
            return null;
        }

        foreach (var candidate in supported)
        {
            foreach (var offered in requested)
            {
                if (string.Equals(candidate, offered, StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="value"/> is an RFC 7230 token, the form RFC 6455 requires of a subprotocol name.</summary>
    public static bool IsValidToken(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is <= ' ' or >= (char)0x7F or '(' or ')' or '<' or '>' or '@' or ',' or ';' or ':' or '\\' or '"' or '/' or '[' or ']' or '?' or '=' or '{' or '}')
            {
                return false;
            }
        }

        return true;
    }
}
