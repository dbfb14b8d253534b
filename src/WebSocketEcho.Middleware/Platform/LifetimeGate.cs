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
