using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Middleware;

/// <summary>The middleware <c>UseWebSocketHandler</c> adds: requests to its path go to the endpoint, everything else passes by untouched.</summary>
internal sealed class WebSocketHandlerMiddleware
{
    private readonly RequestDelegate _next;
    private readonly PathString _path;
    private readonly PathString _pathWithSlash;
    private readonly WebSocketEndpoint _endpoint;

    public WebSocketHandlerMiddleware(RequestDelegate next, PathString path, WebSocketEndpoint endpoint)
    {
        _next = next;
        _path = path;
        _pathWithSlash = path.Add("/");
        _endpoint = endpoint;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var requestPath = context.Request.Path;
        return requestPath.Equals(_path) || requestPath.Equals(_pathWithSlash)
            ? _endpoint.HandleAsync(context, _next)
            : _next(context);
    }
}
