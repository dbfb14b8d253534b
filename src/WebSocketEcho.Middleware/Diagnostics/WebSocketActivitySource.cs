using System.Diagnostics;
using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The middleware's activities, on the source <c>WebSocketEcho.Middleware</c> (named like the meter): one per handler
/// callback and one per push. Every method here is called only when <see cref="Source"/> has listeners, so an app that
/// does not trace pays one <see cref="ActivitySource.HasListeners"/> check per callback and allocates nothing.
/// Names and tags follow OpenTelemetry's messaging conventions where they apply (there is no WebSocket convention);
/// the <c>websocket.*</c> tags are the metrics' (see <see cref="WebSocketMetrics"/>). Payloads are never recorded.
/// </summary>
internal static class WebSocketActivitySource
{
    public const string Name = WebSocketMetrics.MeterName;

    public const string ConnectedOperation = Name + ".Connected";
    public const string MessageOperation = Name + ".Message";
    public const string DisconnectedOperation = Name + ".Disconnected";
    public const string PushOperation = Name + ".Push";

    public const string EndpointTag = "websocket.endpoint";
    public const string ConnectionIdTag = "websocket.connection.id";
    public const string SubProtocolTag = "websocket.subprotocol";
    public const string MessageTypeTag = "websocket.message.type";
    public const string DisconnectReasonTag = "websocket.disconnect.reason";
    public const string CloseStatusTag = "websocket.close.status";
    public const string PushScopeTag = "websocket.push.scope";
    public const string PushTargetTag = "websocket.push.target";
    public const string PushReachedTag = "websocket.push.reached";
    public const string PushBackplaneTag = "websocket.push.backplane";
    public const string MessagingSystemTag = "messaging.system";
    public const string MessagingOperationTypeTag = "messaging.operation.type";
    public const string MessagingDestinationTag = "messaging.destination.name";
    public const string MessagingBodySizeTag = "messaging.message.body.size";
    public const string ErrorTypeTag = "error.type";

    public static readonly ActivitySource Source = new(Name, typeof(WebSocketActivitySource).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts the activity of <see cref="IMessageHandler.OnConnectedAsync"/>: a child of the current activity, which
    /// is the upgrade request's (the connection runs inside that request).
    /// </summary>
    public static Activity? StartConnected(EndpointContext endpoint, WebSocketConnection connection)
    {
        var tags = new TagList
        {
            { EndpointTag, endpoint.Name },
            { ConnectionIdTag, connection.Id },
        };
        if (connection.SubProtocol is { } subProtocol)
        {
            tags.Add(SubProtocolTag, subProtocol);
        }

        return Start(ConnectedOperation, endpoint.SpanNames.Connected, ActivityKind.Internal, tags);
    }

    /// <summary>
    /// Starts the activity of <see cref="IMessageHandler.OnMessageAsync"/>: the root of a trace of its own, linked to
    /// the current activity (the upgrade request's). Clears <see cref="Activity.Current"/> to do so: call it from an
    /// async method, whose changes to the current activity end with it.
    /// </summary>
    public static Activity? StartMessage(EndpointContext endpoint, WebSocketConnection connection, WebSocketMessageType type, int size)
    {
        var tags = new TagList
        {
            { EndpointTag, endpoint.Name },
            { ConnectionIdTag, connection.Id },
            { MessageTypeTag, WebSocketMetrics.TypeName(type) },
            { MessagingSystemTag, "websocket" },
            { MessagingOperationTypeTag, "process" },
            { MessagingDestinationTag, endpoint.Name },
            { MessagingBodySizeTag, size },
        };

        var upgrade = Activity.Current;
        if (upgrade is null)
        {
            return Start(MessageOperation, endpoint.SpanNames.Message, ActivityKind.Consumer, tags);
        }

        // A new root: without a current activity, the new one has no parent. If nobody samples it, the handler still
        // runs under the upgrade request's activity, as it does when nobody listens.
        Activity.Current = null;
        var activity = Source.StartActivity(MessageOperation, ActivityKind.Consumer, default(ActivityContext), tags, [new ActivityLink(upgrade.Context)]);
        if (activity is null)
        {
            Activity.Current = upgrade;
            return null;
        }

        activity.DisplayName = endpoint.SpanNames.Message;
        return activity;
    }

    /// <summary>
    /// Starts the activity of <see cref="IMessageHandler.OnDisconnectedAsync"/>: a child of the upgrade request's
    /// activity, tagged with how the connection ended.
    /// </summary>
    public static Activity? StartDisconnected(EndpointContext endpoint, WebSocketConnection connection, DisconnectInfo outcome)
    {
        var tags = new TagList
        {
            { EndpointTag, endpoint.Name },
            { ConnectionIdTag, connection.Id },
            { DisconnectReasonTag, WebSocketMetrics.ReasonName(outcome.Reason) },
        };
        if (outcome.CloseStatus is { } status)
        {
            tags.Add(CloseStatusTag, (int)status);
        }

        return Start(DisconnectedOperation, endpoint.SpanNames.Disconnected, ActivityKind.Internal, tags);
    }

    /// <summary>Starts the activity of a push: a child of the current activity (the request or handler that pushes).</summary>
    public static Activity? StartPush(string scope, PushTargetKind kind, WebSocketMessageType type, int size)
    {
        var tags = new TagList
        {
            { PushScopeTag, scope },
            { PushTargetTag, WebSocketMetrics.TargetName(kind) },
            { MessageTypeTag, WebSocketMetrics.TypeName(type) },
            { MessagingSystemTag, "websocket" },
            { MessagingOperationTypeTag, "send" },
            { MessagingBodySizeTag, size },
        };
        return Start(PushOperation, PushSpanName(kind), ActivityKind.Producer, tags);
    }

    /// <summary>Records what a push reached and what the backplane did with it.</summary>
    public static void SetPushResult(Activity activity, PushResult result)
    {
        activity.SetTag(PushReachedTag, result.Reached);
        if (result.Backplane != BackplaneDelivery.None)
        {
            activity.SetTag(PushBackplaneTag, result.Backplane.ToString());
        }
    }

    /// <summary>
    /// Marks the activity failed the way OpenTelemetry records errors: status Error (described by the exception's type),
    /// <c>error.type</c>, and an <c>exception</c> event with the exception's type, message and stack trace.
    /// </summary>
    public static void SetError(Activity activity, Exception error)
    {
        var type = error.GetType().FullName;
        activity.SetStatus(ActivityStatusCode.Error, type);
        activity.SetTag(ErrorTypeTag, type);
        activity.AddException(error);
    }

    private static Activity? Start(string operation, string displayName, ActivityKind kind, in TagList tags)
    {
        var activity = Source.StartActivity(operation, kind, default(ActivityContext), tags);
        if (activity is not null)
        {
            activity.DisplayName = displayName;
        }

        return activity;
    }

    private static string PushSpanName(PushTargetKind kind) => kind switch
    {
        PushTargetKind.All => "push all",
        PushTargetKind.Connections => "push connections",
        PushTargetKind.Users => "push users",
        _ => "push groups",
    };
}
