using Microsoft.AspNetCore.Http.Features;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Stands in for the server's <see cref="IHttpRequestLifetimeFeature"/> on an upgraded connection, so that the middleware
/// decides how TCP ends. ASP.NET Core's WebSocket aborts the <c>HttpContext</c> when it is disposed in the Aborted
/// state (which the platform enters after every protocol error), and Kestrel answers an aborted connection with a TCP
/// reset; that would defeat the lingering close after a protocol error. Once the middleware ends the connection itself
/// (<see cref="IgnoreAborts"/>), such aborts are ignored and the server closes TCP with a FIN when the request ends.
/// Explicit aborts before that (<c>IWebSocketConnection.Abort</c>, the send timeout) still reach the server.
/// </summary>
/// <remarks>
/// The platform behaviour worked around: ASP.NET Core's <c>AbortStream</c> calls <c>HttpContext.Abort()</c> when the
/// WebSocket disposes its stream in the Aborted state,
/// https://github.com/dotnet/aspnetcore/blob/main/src/Middleware/WebSockets/src/AbortStream.cs (added by
/// https://github.com/dotnet/aspnetcore/pull/57293, itself a workaround for
/// https://github.com/dotnet/runtime/issues/44272: <c>WebSocket.Abort</c> does not interrupt a pending receive); and
/// Kestrel closes an aborted connection with a reset since https://github.com/dotnet/aspnetcore/pull/49927.
/// </remarks>
internal sealed class LifetimeGate : IHttpRequestLifetimeFeature
{
    private readonly IHttpRequestLifetimeFeature _inner;
    private volatile bool _ignoreAborts;

    public LifetimeGate(IHttpRequestLifetimeFeature inner) => _inner = inner;

    public CancellationToken RequestAborted
    {
        get => _inner.RequestAborted;
        set => _inner.RequestAborted = value;
    }

    public void Abort()
    {
        if (!_ignoreAborts)
        {
            _inner.Abort();
        }
    }

    /// <summary>From now on the connection ends gracefully: aborts are ignored.</summary>
    public void IgnoreAborts() => _ignoreAborts = true;
}
