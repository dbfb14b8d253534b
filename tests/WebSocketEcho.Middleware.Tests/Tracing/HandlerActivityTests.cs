using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Tracing;

/// <summary>
/// The activities of the handler callbacks on real Kestrel, with a listener that samples in the test's own trace:
/// connected and disconnected are children of the upgrade request's activity, each message is the root of a trace of
/// its own with a link to it; tags, error status, and no payload anywhere.
/// </summary>
public sealed class HandlerActivityTests
{
    private const string Connected = WebSocketActivitySource.ConnectedOperation;
    private const string Message = WebSocketActivitySource.MessageOperation;
    private const string Disconnected = WebSocketActivitySource.DisconnectedOperation;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connected_and_disconnected_are_children_of_the_upgrade_request_and_a_message_is_a_root_linked_to_it()
    {
        const string path = "/tracing/shape";
        var current = new ConcurrentDictionary<string, Activity?>();
        var handler = new RecordingHandler
        {
            OnConnected = _ => Record(current, "connected"),
            OnMessage = (connection, message) =>
            {
                current["message"] = Activity.Current;
                return connection.SendTextAsync(message.Payload);
            },
            OnDisconnected = (_, _) => Record(current, "disconnected"),
        };
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler(path, handler));

        string connectionId;
        using (var client = await recorder.ConnectAsync(app.WebSocketUri(path)))
        {
            connectionId = (await handler.NextConnectedAsync()).Id;
            Assert.Equal("hello", await client.EchoAsync("hello", Ct));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        }

        var upgrade = await recorder.WaitForRequestAsync();
        var connected = await recorder.WaitForAsync(Connected);
        var message = await recorder.WaitForAsync(Message);
        var disconnected = await recorder.WaitForAsync(Disconnected);

        // The upgrade request continues the client's trace and lasts as long as the connection.
        Assert.Equal(recorder.TraceId, upgrade.TraceId);
        Assert.True(upgrade.Duration >= connected.Duration + disconnected.Duration);

        Assert.Equal("OnConnectedAsync " + path, connected.DisplayName);
        Assert.Equal(ActivityKind.Internal, connected.Kind);
        Assert.Equal(upgrade.TraceId, connected.TraceId);
        Assert.Equal(upgrade.SpanId, connected.ParentSpanId);
        Assert.Empty(connected.Links);
        Assert.Equal(new Dictionary<string, object?> { ["websocket.endpoint"] = path, ["websocket.connection.id"] = connectionId }, Tags(connected));

        Assert.Equal("OnMessageAsync " + path, message.DisplayName);
        Assert.Equal(ActivityKind.Consumer, message.Kind);
        Assert.Equal(default, message.ParentSpanId);
        Assert.NotEqual(upgrade.TraceId, message.TraceId);
        var link = Assert.Single(message.Links);
        Assert.Equal(upgrade.Context.TraceId, link.Context.TraceId);
        Assert.Equal(upgrade.Context.SpanId, link.Context.SpanId);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["websocket.endpoint"] = path,
                ["websocket.connection.id"] = connectionId,
                ["websocket.message.type"] = "text",
                ["messaging.system"] = "websocket",
                ["messaging.operation.type"] = "process",
                ["messaging.destination.name"] = path,
                ["messaging.message.body.size"] = 5,
            },
            Tags(message));

        Assert.Equal("OnDisconnectedAsync " + path, disconnected.DisplayName);
        Assert.Equal(ActivityKind.Internal, disconnected.Kind);
        Assert.Equal(upgrade.SpanId, disconnected.ParentSpanId);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["websocket.endpoint"] = path,
                ["websocket.connection.id"] = connectionId,
                ["websocket.disconnect.reason"] = "ClosedByPeer",
                ["websocket.close.status"] = 1000,
            },
            Tags(disconnected));

        // Inside each callback its activity is the current one: what the handler traces goes under it.
        Assert.Same(connected, current["connected"]);
        Assert.Same(message, current["message"]);
        Assert.Same(disconnected, current["disconnected"]);
        Assert.All([connected, message, disconnected], a => Assert.Equal(ActivityStatusCode.Unset, a.Status));
        Assert.All([connected, message, disconnected], a => Assert.Equal(WebSocketActivitySource.Name, a.Source.Name));
    }

    [Fact]
    public async Task Every_message_is_a_trace_of_its_own_tagged_with_its_type_and_size()
    {
        const string path = "/tracing/messages";
        var handler = new RecordingHandler();
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler(path, handler));

        using var client = await recorder.ConnectAsync(app.WebSocketUri(path));
        Assert.Equal("héllo", await client.EchoAsync("héllo", Ct)); // 6 UTF-8 bytes
        await client.SendBinaryAsync(new byte[1000], Ct);
        Assert.Equal(1000, (await client.ReceiveMessageAsync()).Payload.Length);
        await client.SendBinaryAsync([], Ct);
        Assert.Empty((await client.ReceiveMessageAsync()).Payload);

        var text = await recorder.WaitForAsync(Message, a => Equals(a.GetTagItem("websocket.message.type"), "text"));
        var binary = await recorder.WaitForAsync(Message, a => Equals(a.GetTagItem("messaging.message.body.size"), 1000));
        var empty = await recorder.WaitForAsync(Message, a => Equals(a.GetTagItem("messaging.message.body.size"), 0));
        Assert.Equal(6, text.GetTagItem("messaging.message.body.size"));
        Assert.Equal("binary", binary.GetTagItem("websocket.message.type"));
        Assert.Equal("binary", empty.GetTagItem("websocket.message.type"));
        Assert.Equal(3, new[] { text.TraceId, binary.TraceId, empty.TraceId }.Distinct().Count());
        Assert.DoesNotContain(recorder.TraceId, new[] { text.TraceId, binary.TraceId, empty.TraceId });
    }

    [Fact]
    public async Task A_handler_exception_sets_status_Error_error_type_and_an_exception_event_and_the_connection_closes_with_1011()
    {
        const string path = "/tracing/failing";
        var handler = new RecordingHandler { OnMessage = static (_, _) => throw new InvalidOperationException("the handler broke") };
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler(path, handler));

        using var client = await recorder.ConnectAsync(app.WebSocketUri(path));
        await client.SendTextAsync("boom", Ct);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, (await client.ReceiveCloseAsync()).CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, null, Ct);

        var message = await recorder.WaitForAsync(Message);
        Assert.Equal(ActivityStatusCode.Error, message.Status);
        Assert.Equal("System.InvalidOperationException", message.StatusDescription);
        Assert.Equal("System.InvalidOperationException", message.GetTagItem("error.type"));
        var exception = Assert.Single(message.Events);
        Assert.Equal("exception", exception.Name);
        var eventTags = exception.Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("System.InvalidOperationException", eventTags["exception.type"]);
        Assert.Equal("the handler broke", eventTags["exception.message"]);
        Assert.Contains("InvalidOperationException", (string)eventTags["exception.stacktrace"]!, StringComparison.Ordinal);

        // The disconnect tells how the connection ended; its own callback succeeded, so its status is not an error.
        var disconnected = await recorder.WaitForAsync(Disconnected);
        Assert.Equal("HandlerError", disconnected.GetTagItem("websocket.disconnect.reason"));
        Assert.Equal(1011, disconnected.GetTagItem("websocket.close.status"));
        Assert.Equal(ActivityStatusCode.Unset, disconnected.Status);
        Assert.Empty(disconnected.Events);
    }

    [Fact]
    public async Task Exceptions_from_OnConnectedAsync_and_OnDisconnectedAsync_mark_their_own_activities_failed()
    {
        const string path = "/tracing/lifecycle-failures";
        var handler = new RecordingHandler
        {
            OnConnected = static _ => throw new ArgumentException("no entry"),
            OnDisconnected = static async (_, _) =>
            {
                await Task.Yield();
                throw new TimeoutException("cleanup timed out");
            },
        };
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler(path, handler));

        using var client = await recorder.ConnectAsync(app.WebSocketUri(path));
        Assert.Equal(WebSocketCloseStatus.InternalServerError, (await client.ReceiveCloseAsync()).CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, null, Ct);

        var connected = await recorder.WaitForAsync(Connected);
        var disconnected = await recorder.WaitForAsync(Disconnected);
        Assert.Equal(ActivityStatusCode.Error, connected.Status);
        Assert.Equal("System.ArgumentException", connected.GetTagItem("error.type"));
        Assert.Equal("exception", Assert.Single(connected.Events).Name);
        Assert.Equal(ActivityStatusCode.Error, disconnected.Status);
        Assert.Equal("System.TimeoutException", disconnected.GetTagItem("error.type"));
        Assert.Equal("cleanup timed out", Assert.Single(disconnected.Events).Tags.Single(t => t.Key == "exception.message").Value);
        Assert.Equal("HandlerError", disconnected.GetTagItem("websocket.disconnect.reason"));
        Assert.DoesNotContain(recorder.Stopped, a => a.OperationName == Message);
    }

    [Fact]
    public async Task No_name_tag_or_event_carries_the_payload()
    {
        const string path = "/tracing/no-payload";
        const string secret = "payload-7f3a-secret";
        var handler = new RecordingHandler { OnMessage = static (_, m) => m.IsText ? throw new FormatException("bad message") : ValueTask.CompletedTask };
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler(path, handler, o => o.SubProtocols.Add("chat.v1")));

        using var client = new ClientWebSocket();
        client.Options.SetRequestHeader("traceparent", recorder.TraceParent);
        client.Options.AddSubProtocol("chat.v1");
        await client.ConnectAsync(app.WebSocketUri(path), Ct);
        await client.SendBinaryAsync(Encoding.UTF8.GetBytes(secret), Ct);
        await client.SendTextAsync(secret, Ct);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, (await client.ReceiveCloseAsync()).CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, null, Ct);

        var connected = await recorder.WaitForAsync(Connected);
        await recorder.WaitForAsync(Message, a => a.Status == ActivityStatusCode.Error);
        await recorder.WaitForAsync(Message, a => a.Status == ActivityStatusCode.Unset);
        await recorder.WaitForAsync(Disconnected);
        Assert.Equal("chat.v1", connected.GetTagItem("websocket.subprotocol"));

        var middleware = recorder.Stopped.Where(a => a.Source.Name == WebSocketActivitySource.Name).ToList();
        Assert.Equal(4, middleware.Count);
        var texts = middleware.SelectMany(a =>
            new[] { a.DisplayName, a.OperationName, a.StatusDescription ?? string.Empty }
                .Concat(a.TagObjects.Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty))
                .Concat(a.Events.SelectMany(e => e.Tags.Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty))));
        Assert.DoesNotContain(texts, t => t.Contains("7f3a", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_listener_that_samples_the_middleware_out_gets_no_activity_and_the_handler_runs_under_the_upgrade_request()
    {
        const string path = "/tracing/sampled-out";
        Activity? duringMessage = null;
        var handler = new RecordingHandler
        {
            OnMessage = (connection, message) =>
            {
                duringMessage = Activity.Current;
                return connection.SendTextAsync(message.Payload);
            },
        };
        using var recorder = new ActivityRecorder(sampleMiddleware: false);
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler(path, handler));

        using (var client = await recorder.ConnectAsync(app.WebSocketUri(path)))
        {
            Assert.Equal("x", await client.EchoAsync("x", Ct));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        }

        var upgrade = await recorder.WaitForRequestAsync();
        Assert.Same(upgrade, duringMessage);
        Assert.DoesNotContain(recorder.Stopped, a => a.Source.Name == WebSocketActivitySource.Name);
    }

    internal static Dictionary<string, object?> Tags(Activity activity) => activity.TagObjects.ToDictionary(t => t.Key, t => t.Value);

    private static ValueTask Record(ConcurrentDictionary<string, Activity?> into, string callback)
    {
        into[callback] = Activity.Current;
        return ValueTask.CompletedTask;
    }
}
