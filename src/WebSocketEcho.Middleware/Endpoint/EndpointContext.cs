using System.Buffers;
using Microsoft.Extensions.Logging;

namespace WebSocketEcho.Middleware;

/// <summary>What every connection of one endpoint shares: its name, settings, logger, metrics, activity names, buffer pool and push scope.</summary>
internal sealed class EndpointContext
{
    public EndpointContext(string name, EndpointSettings settings, ILogger logger, WebSocketMetrics metrics, ArrayPool<byte> pool, PushScope push)
    {
        Push = push;
        Name = name;
        Settings = settings;
        Logger = logger;
        Metrics = metrics;
        Pool = pool;
        SpanNames = new EndpointSpanNames(name);
    }

    /// <summary>Gets the endpoint's path or route pattern, used in logs and as the <c>websocket.endpoint</c> metric tag.</summary>
    public string Name { get; }

    public EndpointSettings Settings { get; }

    public ILogger Logger { get; }

    public WebSocketMetrics Metrics { get; }

    public ArrayPool<byte> Pool { get; }

    /// <summary>Gets the display names of the endpoint's activities.</summary>
    public EndpointSpanNames SpanNames { get; }

    /// <summary>Gets the push scope the endpoint's connections join: the one of its handler type.</summary>
    public PushScope Push { get; }
}
