namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>Which product a fan-out server runs.</summary>
internal enum FanoutServerKind
{
    /// <summary>ASP.NET Core SignalR: a hub, <c>IHubContext.Clients.All.SendAsync</c> (the baseline).</summary>
    SignalR,

    /// <summary>WebSocketEcho.Middleware: a handler, <c>IWebSocketPush.All.SendTextAsync</c>.</summary>
    Middleware,
}
