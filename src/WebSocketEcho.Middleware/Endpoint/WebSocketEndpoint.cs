using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware;

/// <summary>
/// One WebSocket endpoint (a <c>UseWebSocketHandler</c> path or a <c>MapWebSocketHandler</c> route): decides whether
/// a request is a handshake, refuses bad ones with a precise status, checks origin and capacity, accepts through the
/// platform and runs the connection's <see cref="MessagePump"/>.
/// </summary>
internal sealed class WebSocketEndpoint
{
    private readonly EndpointContext _endpoint;
    private readonly MessagePump _pump;
    private readonly RequestDelegate _platformHandshake;

    public WebSocketEndpoint(EndpointContext endpoint, IMessageHandler handler, ILoggerFactory loggerFactory)
    {
        _endpoint = endpoint;
        Registry = new ConnectionRegistry(endpoint);
        _pump = new MessagePump(handler, endpoint, Registry);

        // The platform's middleware performs the RFC 6455 handshake (key, accept, version, permessage-deflate, HTTP/2
        // extended CONNECT). It runs here, per endpoint, so the app does not need app.UseWebSockets(), and so it
        // upgrades through our TransportCapture. Its own origin check stays off: ours runs before it.
        _platformHandshake = new WebSocketMiddleware(AcceptOrRefuseAsync, Options.Create(new WebSocketOptions()), loggerFactory).Invoke;
    }

    public ConnectionRegistry Registry { get; }

    public string Name => _endpoint.Name;

    /// <summary>Handles a request routed to this endpoint; requests that are not handshakes go to <paramref name="notWebSocket"/>.</summary>
    public Task HandleAsync(HttpContext context, RequestDelegate notWebSocket)
    {
        var features = context.Features;
        var upgrade = features.Get<IHttpUpgradeFeature>();
        var connect = features.Get<IHttpExtendedConnectFeature>();

        if (upgrade is { IsUpgradableRequest: true } || connect is { IsExtendedConnect: true })
        {
            if (!HandshakeValidator.IsUpgradeAttempt(context.Request, connect))
            {
                return notWebSocket(context);
            }

            if (HandshakeValidator.TryRefuseWhatThePlatformAccepts(context.Request, out var refusal))
            {
                return RefuseAsync(context, refusal);
            }

            var capture = new TransportCapture(upgrade, connect, _endpoint.Settings.MaxFragmentsPerMessage);
            if (upgrade is not null)
            {
                features.Set<IHttpUpgradeFeature>(capture);
            }

            if (connect is not null)
            {
                features.Set<IHttpExtendedConnectFeature>(capture);
            }

            if (features.Get<IHttpRequestLifetimeFeature>() is { } lifetime)
            {
                features.Set<IHttpRequestLifetimeFeature>(new LifetimeGate(lifetime));
            }

            // Drop a handshake feature an earlier app.UseWebSockets() installed, so the platform builds a new one over the capture.
            features.Set<IHttpWebSocketFeature>(null);
            return _platformHandshake(context);
        }

        if (features.Get<IHttpWebSocketFeature>() is { IsWebSocketRequest: true })
        {
            // A server that brings its own WebSocket support (TestHost, or a custom IServer).
            return AcceptAsync(context, capture: null);
        }

        return HandshakeValidator.IsUpgradeAttempt(context.Request, connect)
            ? RefuseAsync(context, HandshakeValidator.Diagnose(context.Request, connect))
            : notWebSocket(context);
    }

    /// <summary>Answers a request that reached a mapped endpoint without being a WebSocket handshake.</summary>
    public Task RefuseNotWebSocketAsync(HttpContext context) => RefuseAsync(context, HandshakeRefusal.NotWebSocket());

    private Task AcceptOrRefuseAsync(HttpContext context)
    {
        var capture = context.Features.Get<IHttpUpgradeFeature>() as TransportCapture
            ?? context.Features.Get<IHttpExtendedConnectFeature>() as TransportCapture;
        return context.WebSockets.IsWebSocketRequest
            ? AcceptAsync(context, capture)
            : RefuseAsync(context, HandshakeValidator.Diagnose(context.Request, context.Features.Get<IHttpExtendedConnectFeature>()));
    }

    /// <summary>
    /// Accepts through the platform and runs the connection. Not an async method: when the upgrade completes
    /// synchronously (the usual case) the request's task is the pump's own, so an open connection keeps no extra
    /// state machine alive here.
    /// </summary>
    private Task AcceptAsync(HttpContext context, TransportCapture? capture)
    {
        var settings = _endpoint.Settings;
        if (Registry.IsStopping)
        {
            return RefuseAsync(context, HandshakeRefusal.ShuttingDown());
        }

        if (!settings.Origins.IsAllowed(context.Request, out var origin))
        {
            return RefuseAsync(context, HandshakeRefusal.Forbidden(origin));
        }

        if (!Registry.TryReserve())
        {
            return RefuseAsync(context, HandshakeRefusal.TooManyConnections(settings.MaxConnections));
        }

        Task<WebSocket> accepting;
        try
        {
            var acceptContext = new WebSocketAcceptContext
            {
                SubProtocol = SubProtocolNegotiator.Select(settings.SubProtocols, context),
                KeepAliveInterval = settings.KeepAliveInterval,
                DangerousEnableCompression = settings.EnableCompression,
            };
            if (settings.KeepAliveEnabled)
            {
                acceptContext.KeepAliveTimeout = settings.KeepAliveTimeout;
            }

            accepting = context.WebSockets.AcceptWebSocketAsync(acceptContext);
        }
        catch (Exception ex)
        {
            OnAcceptFailed(ex);
            return Task.CompletedTask;
        }

        return accepting.IsCompletedSuccessfully
            ? RunAsync(context, accepting.Result, capture)
            : AcceptThenRunAsync(context, accepting, capture);
    }

    private async Task AcceptThenRunAsync(HttpContext context, Task<WebSocket> accepting, TransportCapture? capture)
    {
        WebSocket socket;
        try
        {
            socket = await accepting.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            OnAcceptFailed(ex);
            return;
        }

        await RunAsync(context, socket, capture).ConfigureAwait(false);
    }

    /// <summary>Runs an accepted connection; the pump registers it and removes it from the registry when it ends.</summary>
    private Task RunAsync(HttpContext context, WebSocket socket, TransportCapture? capture)
    {
        var lifetime = context.Features.Get<IHttpRequestLifetimeFeature>() as LifetimeGate;
        if (capture is not null)
        {
            capture.Detach(context.Features);

            // HttpContext.WebSockets caches the features it last saw; reading it once refreshes that cache.
            _ = context.WebSockets.IsWebSocketRequest;
        }

        return _pump.RunAsync(new WebSocketConnection(context, socket, capture?.Transport, lifetime, _endpoint));
    }

    /// <summary>The client went away mid-handshake, or the server could not upgrade.</summary>
    private void OnAcceptFailed(Exception error)
    {
        Registry.Unreserve();
        Log.AcceptFailed(_endpoint.Logger, error, _endpoint.Name);
    }

    private Task RefuseAsync(HttpContext context, HandshakeRefusal refusal)
    {
        Log.UpgradeRefused(_endpoint.Logger, _endpoint.Name, refusal.StatusCode, refusal.Message);
        _endpoint.Metrics.UpgradeRejected(_endpoint.Name, refusal.MetricReason);

        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        response.StatusCode = refusal.StatusCode;
        if (refusal.HeaderName is not null)
        {
            response.Headers[refusal.HeaderName] = refusal.HeaderValue;
        }

        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(refusal.Message + "\n", context.RequestAborted);
    }
}
