using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The middleware's instruments on the meter <c>WebSocketEcho.Middleware</c>, named in the style of
/// <c>kestrel.*</c> and <c>signalr.server.*</c> (there is no WebSocket semantic convention yet).
/// </summary>
internal sealed class WebSocketMetrics
{
    public const string MeterName = "WebSocketEcho.Middleware";

    private const string EndpointTag = "websocket.endpoint";
    private const string MessageTypeTag = "websocket.message.type";
    private const string ScopeTag = "websocket.push.scope";
    private const string TargetTagName = "websocket.push.target";

    private static readonly ConditionalWeakTable<IMeterFactory, WebSocketMetrics> s_byFactory = new();
    private static readonly Lazy<WebSocketMetrics> s_unfactored = new(() => new WebSocketMetrics(new Meter(MeterName)));
    private static readonly string[] s_reasonNames = Enum.GetNames<DisconnectReason>();

    private readonly UpDownCounter<long> _activeConnections;
    private readonly Histogram<double> _connectionDuration;
    private readonly Counter<long> _receivedMessages;
    private readonly Counter<long> _receivedBytes;
    private readonly Counter<long> _sentMessages;
    private readonly Counter<long> _sentBytes;
    private readonly Counter<long> _rejectedUpgrades;
    private readonly Counter<long> _handlerErrors;
    private readonly Counter<long> _pushMessages;
    private readonly Counter<long> _pushDeliveries;
    private readonly UpDownCounter<long> _groups;

    private WebSocketMetrics(Meter meter)
    {
        _activeConnections = meter.CreateUpDownCounter<long>(
            "websocket.server.active_connections", "{connection}", "Number of WebSocket connections that are currently open.");
        _connectionDuration = meter.CreateHistogram(
            "websocket.server.connection.duration", "s", "Duration of WebSocket connections, tagged with how they ended.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400] });
        _receivedMessages = meter.CreateCounter<long>(
            "websocket.server.received.messages", "{message}", "Whole messages received from peers.");
        _receivedBytes = meter.CreateCounter<long>(
            "websocket.server.received.bytes", "By", "Payload bytes of the messages received from peers.");
        _sentMessages = meter.CreateCounter<long>(
            "websocket.server.sent.messages", "{message}", "Whole messages sent to peers.");
        _sentBytes = meter.CreateCounter<long>(
            "websocket.server.sent.bytes", "By", "Payload bytes of the messages sent to peers.");
        _rejectedUpgrades = meter.CreateCounter<long>(
            "websocket.server.rejected_upgrades", "{request}", "WebSocket upgrade requests refused before the upgrade, tagged with the reason.");
        _handlerErrors = meter.CreateCounter<long>(
            "websocket.server.handler_errors", "{error}", "Exceptions thrown by message handlers.");
        _pushMessages = meter.CreateCounter<long>(
            "websocket.server.push.messages", "{message}", "Messages pushed through IWebSocketPush on this instance, tagged with the target kind.");
        _pushDeliveries = meter.CreateCounter<long>(
            "websocket.server.push.deliveries", "{delivery}", "Connections on this instance a pushed message was handed to, tagged with the target kind and where the push came from.");
        _groups = meter.CreateUpDownCounter<long>(
            "websocket.server.push.groups", "{group}", "Groups with at least one member on this instance.");
    }

    /// <summary>Gets the instruments for <paramref name="meterFactory"/>, creating them once per factory.</summary>
    public static WebSocketMetrics For(IMeterFactory? meterFactory) =>
        meterFactory is null
            ? s_unfactored.Value
            : s_byFactory.GetValue(meterFactory, static factory => new WebSocketMetrics(factory.Create(MeterName)));

    /// <summary>
    /// Counts a connection as active. Returns whether it was counted, to pass to <see cref="ConnectionClosed"/>: a
    /// listener that starts (or stops) while the connection is open must not see a decrement without its increment.
    /// </summary>
    public bool ConnectionOpened(string endpoint)
    {
        if (!_activeConnections.Enabled)
        {
            return false;
        }

        _activeConnections.Add(1, new KeyValuePair<string, object?>(EndpointTag, endpoint));
        return true;
    }

    /// <summary>Records the end of a connection; <paramref name="countedActive"/> is what <see cref="ConnectionOpened"/> returned.</summary>
    public void ConnectionClosed(string endpoint, DisconnectInfo info, TimeSpan duration, bool countedActive)
    {
        if (countedActive)
        {
            _activeConnections.Add(-1, new KeyValuePair<string, object?>(EndpointTag, endpoint));
        }

        if (_connectionDuration.Enabled)
        {
            var tags = new TagList
            {
                { EndpointTag, endpoint },
                { "websocket.disconnect.reason", ReasonName(info.Reason) },
            };

            // Only connections that exchanged a close frame have a status; the others carry no status tag (not a null one).
            if (info.CloseStatus is { } status)
            {
                tags.Add("websocket.close.status", (int)status);
            }

            _connectionDuration.Record(duration.TotalSeconds, tags);
        }
    }

    public void MessageReceived(string endpoint, WebSocketMessageType type, int bytes)
    {
        if (_receivedMessages.Enabled)
        {
            _receivedMessages.Add(1, new KeyValuePair<string, object?>(EndpointTag, endpoint), TypeTag(type));
        }

        if (_receivedBytes.Enabled)
        {
            _receivedBytes.Add(bytes, new KeyValuePair<string, object?>(EndpointTag, endpoint), TypeTag(type));
        }
    }

    public void MessageSent(string endpoint, WebSocketMessageType type, int bytes)
    {
        if (_sentMessages.Enabled)
        {
            _sentMessages.Add(1, new KeyValuePair<string, object?>(EndpointTag, endpoint), TypeTag(type));
        }

        if (_sentBytes.Enabled)
        {
            _sentBytes.Add(bytes, new KeyValuePair<string, object?>(EndpointTag, endpoint), TypeTag(type));
        }
    }

    public void UpgradeRejected(string endpoint, string reason)
    {
        if (_rejectedUpgrades.Enabled)
        {
            _rejectedUpgrades.Add(1, new KeyValuePair<string, object?>(EndpointTag, endpoint), new KeyValuePair<string, object?>("websocket.rejection.reason", reason));
        }
    }

    public void HandlerError(string endpoint, string callback, Exception exception)
    {
        if (_handlerErrors.Enabled)
        {
            _handlerErrors.Add(
                1,
                new KeyValuePair<string, object?>(EndpointTag, endpoint),
                new KeyValuePair<string, object?>("websocket.handler.callback", callback),
                new KeyValuePair<string, object?>("error.type", exception.GetType().FullName));
        }
    }

    /// <summary>Counts a push made on this instance and the connections here it reached.</summary>
    public void Pushed(string scope, PushTargetKind kind, int reached)
    {
        if (_pushMessages.Enabled)
        {
            _pushMessages.Add(1, new KeyValuePair<string, object?>(ScopeTag, scope), TargetTag(kind));
        }

        Delivered(scope, kind, reached, "local");
    }

    /// <summary>Counts the connections here a push from another instance reached.</summary>
    public void DeliveredFromBackplane(string scope, PushTargetKind kind, int reached) => Delivered(scope, kind, reached, "backplane");

    public void GroupsChanged(string scope, int delta)
    {
        if (_groups.Enabled)
        {
            _groups.Add(delta, new KeyValuePair<string, object?>(ScopeTag, scope));
        }
    }

    private void Delivered(string scope, PushTargetKind kind, int reached, string origin)
    {
        if (reached > 0 && _pushDeliveries.Enabled)
        {
            _pushDeliveries.Add(
                reached,
                new KeyValuePair<string, object?>(ScopeTag, scope),
                TargetTag(kind),
                new KeyValuePair<string, object?>("websocket.push.origin", origin));
        }
    }

    /// <summary>Gets the <c>websocket.disconnect.reason</c> value of <paramref name="reason"/>; traces use the same.</summary>
    public static string ReasonName(DisconnectReason reason) => s_reasonNames[(int)reason];

    /// <summary>Gets the <c>websocket.push.target</c> value of <paramref name="kind"/>; traces use the same.</summary>
    public static string TargetName(PushTargetKind kind) => kind switch
    {
        PushTargetKind.All => "all",
        PushTargetKind.Connections => "connections",
        PushTargetKind.Users => "users",
        _ => "groups",
    };

    /// <summary>Gets the <c>websocket.message.type</c> value of <paramref name="type"/>; traces use the same.</summary>
    public static string TypeName(WebSocketMessageType type) => type == WebSocketMessageType.Text ? "text" : "binary";

    private static KeyValuePair<string, object?> TargetTag(PushTargetKind kind) => new(TargetTagName, TargetName(kind));

    private static KeyValuePair<string, object?> TypeTag(WebSocketMessageType type) => new(MessageTypeTag, TypeName(type));
}
