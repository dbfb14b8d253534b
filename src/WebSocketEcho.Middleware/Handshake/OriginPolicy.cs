using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Decides whether a browser may open a WebSocket from the page's origin: same-origin always, other origins only
/// when listed, every origin with "*". Requests without an <c>Origin</c> header do not come from a browser page and are allowed.
/// </summary>
internal sealed class OriginPolicy
{
    private readonly bool _allowAny;
    private readonly HashSet<string> _allowed = new(StringComparer.Ordinal);

    public OriginPolicy(IEnumerable<string> allowedOrigins)
    {
        foreach (var origin in allowedOrigins)
        {
            if (origin == "*")
            {
                _allowAny = true;
            }
            else if (TryNormalize(origin, out var normalized))
            {
                _allowed.Add(normalized);
            }
        }
    }

    /// <summary>Checks the request's <c>Origin</c>; on refusal <paramref name="origin"/> holds what the browser sent.</summary>
    public bool IsAllowed(HttpRequest request, out string? origin)
    {
        var values = request.Headers[HeaderNames.Origin];
        origin = values.Count == 0 ? null : values.ToString();
        if (values.Count == 0 || _allowAny)
        {
            return true;
        }

        if (values.Count > 1 || !TryNormalize(origin!, out var normalized))
        {
            return false;
        }

        return _allowed.Contains(normalized) || normalized == RequestOrigin(request);
    }

    /// <summary>Normalizes an origin to <c>scheme://host[:port]</c> with lower-case scheme and host and an explicit port.</summary>
    internal static bool TryNormalize(string origin, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(origin))
        {
            return false;
        }

        if (origin == "null")
        {
            // Opaque origins (sandboxed frames, file: pages) serialize as "null"; only an explicit "null" entry admits them.
            normalized = origin;
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.UserInfo)
            || uri.AbsolutePath != "/"
            || origin.EndsWith('/')
            || !string.IsNullOrEmpty(uri.Query)
            || !string.IsNullOrEmpty(uri.Fragment))
        {
            return false;
        }

        normalized = uri.Port < 0
            ? $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}"
            : $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}";
        return true;
    }

    private static string? RequestOrigin(HttpRequest request)
    {
        if (!request.Host.HasValue)
        {
            return null;
        }

        return TryNormalize($"{request.Scheme}://{request.Host.ToUriComponent()}", out var own) ? own : null;
    }
}
