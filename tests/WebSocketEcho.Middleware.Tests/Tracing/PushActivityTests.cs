using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Tracing;

/// <summary>
/// A push is an activity, a child of whatever pushes: an HTTP request (so the push shows in that request's trace) or a
/// handler's message activity. It says which targets, how many connections it reached, never what it carried.
/// </summary>
public sealed class PushActivityTests
{
    private const string Push = WebSocketActivitySource.PushOperation;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every message goes to the group "room", which every connection joins.</summary>
    private sealed class RoomHandler(IWebSocketPush<RoomHandler> push) : IMessageHandler
    {
        public async ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            await push.AddToGroupAsync(connection.Id, "room");
            await connection.SendTextAsync("joined");
        }

        public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
            await push.Group("room").SendAsync(message);
    }

    [Fact]
    public async Task A_push_from_an_HTTP_request_is_a_child_of_that_request_tagged_with_target_and_reached()
    {
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseWebSocketHandler<RoomHandler>("/tracing/room");
                a.MapPost("/tracing/announce", async (IWebSocketPush<RoomHandler> push, CancellationToken cancellationToken) =>
                    (await push.All.SendTextAsync("announcement-1234", cancellationToken)).Reached.ToString(System.Globalization.CultureInfo.InvariantCulture));
            },
            s => s.AddWebSocketHandler<RoomHandler>());
        using var first = await recorder.ConnectAsync(app.WebSocketUri("/tracing/room"));
        using var second = await recorder.ConnectAsync(app.WebSocketUri("/tracing/room"));
        Assert.Equal("joined", await first.ReceiveTextAsync(Ct));
        Assert.Equal("joined", await second.ReceiveTextAsync(Ct));

        Assert.Equal("2", await PostInTraceAsync(app, "/tracing/announce", recorder));
        Assert.Equal("announcement-1234", await first.ReceiveTextAsync(Ct));

        var push = await recorder.WaitForAsync(Push);
        var post = await recorder.WaitForRequestAsync(a => a.SpanId == push.ParentSpanId);
        Assert.Equal("push all", push.DisplayName);
        Assert.Equal(ActivityKind.Producer, push.Kind);
        Assert.Equal(post.TraceId, push.TraceId);
        Assert.Equal(post.SpanId, push.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, push.Status);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["websocket.push.scope"] = typeof(RoomHandler).FullName,
                ["websocket.push.target"] = "all",
                ["websocket.message.type"] = "text",
                ["messaging.system"] = "websocket",
                ["messaging.operation.type"] = "send",
                ["messaging.message.body.size"] = 17,
                ["websocket.push.reached"] = 2,
            },
            HandlerActivityTests.Tags(push));
    }

    [Fact]
    public async Task A_push_from_a_handler_is_a_child_of_the_message_activity_and_nothing_leaks_into_the_callers_context()
    {
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler<RoomHandler>("/tracing/room"), s => s.AddWebSocketHandler<RoomHandler>());
        using var client = await recorder.ConnectAsync(app.WebSocketUri("/tracing/room"));
        Assert.Equal("joined", await client.ReceiveTextAsync(Ct));

        await client.SendBinaryAsync(new byte[300], Ct);
        Assert.Equal(300, (await client.ReceiveMessageAsync()).Payload.Length);

        var message = await recorder.WaitForAsync(WebSocketActivitySource.MessageOperation);
        var push = await recorder.WaitForAsync(Push, a => a.ParentSpanId == message.SpanId);
        Assert.Equal("push groups", push.DisplayName);
        Assert.Equal(message.TraceId, push.TraceId);
        Assert.Equal(message.SpanId, push.ParentSpanId);
        Assert.Equal("groups", push.GetTagItem("websocket.push.target"));
        Assert.Equal("binary", push.GetTagItem("websocket.message.type"));
        Assert.Equal(300, push.GetTagItem("messaging.message.body.size"));
        Assert.Equal(1, push.GetTagItem("websocket.push.reached"));

        // Pushing from code that runs under an activity: the push is its child, and afterwards that activity is current again.
        var pushService = app.Services.GetRequiredService<IWebSocketPush<RoomHandler>>();
        using var caller = new Activity("Tests.Caller");
        caller.SetParentId(recorder.TraceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        caller.Start();
        Assert.Equal(1, (await pushService.All.SendTextAsync("from the caller", Ct)).Reached);
        Assert.Same(caller, Activity.Current);
        caller.Stop();
        var fromCaller = await recorder.WaitForAsync(Push, a => a.ParentSpanId == caller.SpanId);
        Assert.Equal("push all", fromCaller.DisplayName);
        Assert.Null(fromCaller.GetTagItem("websocket.push.backplane"));
    }

    [Fact]
    public async Task A_push_that_waits_for_the_backplane_ends_when_it_has_published_and_the_caller_keeps_its_own_activity()
    {
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseWebSocketHandler<RoomHandler>("/tracing/room");
                a.MapPost("/tracing/announce", async (IWebSocketPush<RoomHandler> push, CancellationToken cancellationToken) =>
                {
                    var before = Activity.Current;
                    var result = await push.All.SendTextAsync("hello", cancellationToken);
                    return $"{result.Reached} {result.Backplane} {ReferenceEquals(before, Activity.Current)}";
                });
            },
            s => s.AddWebSocketHandler<RoomHandler>().Services.AddSingleton<WebSocketBackplane>(new YieldingBackplane()));

        Assert.Equal("0 Published True", await PostInTraceAsync(app, "/tracing/announce", recorder));

        var post = await recorder.WaitForRequestAsync();
        var push = await recorder.WaitForAsync(Push);
        Assert.Equal(post.SpanId, push.ParentSpanId);
        Assert.Equal(0, push.GetTagItem("websocket.push.reached"));
        Assert.Equal("Published", push.GetTagItem("websocket.push.backplane"));
        Assert.True(push.Duration >= YieldingBackplane.Delay - TimeSpan.FromMilliseconds(5), $"The push ended after {push.Duration}, before the backplane had published.");
    }

    [Fact]
    public async Task A_cancelled_push_marks_its_activity_failed()
    {
        using var recorder = new ActivityRecorder();
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseWebSocketHandler<RoomHandler>("/tracing/room");
                a.MapPost("/tracing/cancelled", async (HttpContext context, IWebSocketPush<RoomHandler> push) =>
                {
                    try
                    {
                        await push.All.SendTextAsync("never", new CancellationToken(canceled: true));
                        return "sent";
                    }
                    catch (OperationCanceledException)
                    {
                        return "cancelled";
                    }
                });
            },
            s => s.AddWebSocketHandler<RoomHandler>());

        Assert.Equal("cancelled", await PostInTraceAsync(app, "/tracing/cancelled", recorder));

        var push = await recorder.WaitForAsync(Push);
        Assert.Equal(ActivityStatusCode.Error, push.Status);
        Assert.Equal("System.OperationCanceledException", push.GetTagItem("error.type"));
        Assert.Equal("exception", Assert.Single(push.Events).Name);
        Assert.Null(push.GetTagItem("websocket.push.reached"));
    }

    /// <summary>POSTs to <paramref name="path"/> in the recorder's trace (with its <c>traceparent</c>); returns the response's text.</summary>
    private static async Task<string> PostInTraceAsync(TestApp app, string path, ActivityRecorder recorder)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("traceparent", recorder.TraceParent);
        using var response = await http.SendAsync(request, Ct);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>A backplane whose publish completes later, as a real one's does; it reaches no other instance.</summary>
    private sealed class YieldingBackplane : WebSocketBackplane
    {
        public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

        public override async ValueTask<BackplaneDelivery> PublishAsync(BackplaneMessage message, CancellationToken cancellationToken)
        {
            await Task.Delay(Delay, cancellationToken);
            return BackplaneDelivery.Published;
        }

        public override ValueTask<bool> ChangeGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken) =>
            ValueTask.FromResult(false);

        protected internal override void Start(BackplaneReceiver receiver)
        {
        }
    }
}
