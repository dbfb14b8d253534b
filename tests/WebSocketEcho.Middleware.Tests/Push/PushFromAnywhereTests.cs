using System.Globalization;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Any class of the app reaches the connections by injecting <see cref="IWebSocketPush{THandler}"/>: a minimal API endpoint
/// (the controller case), a hosted service, and the handler of another endpoint.
/// </summary>
public sealed class PushFromAnywhereTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_minimal_API_endpoint_pushes_to_all_to_one_connection_and_manages_groups_by_connection_id(bool kestrel)
    {
        await using var app = await PushApp.StartAsync(
            kestrel,
            a =>
            {
                a.MapWebSocketHandler<AlphaHandler>("/ws");
                a.MapPost("/broadcast", async (IWebSocketPush<AlphaHandler> push, HttpRequest request) =>
                    (await push.All.SendTextAsync(await ReadBodyAsync(request), request.HttpContext.RequestAborted)).Reached);
                a.MapPost("/connections/{id}", async (string id, IWebSocketPush<AlphaHandler> push, HttpRequest request) =>
                    (await push.Connection(id).SendTextAsync(await ReadBodyAsync(request))).Reached);
                a.MapPut("/groups/{group}/{id}", async (string group, string id, IWebSocketPush<AlphaHandler> push) =>
                    await push.AddToGroupAsync(id, group) ? Results.NoContent() : Results.NotFound());
                a.MapDelete("/groups/{group}/{id}", async (string group, string id, IWebSocketPush<AlphaHandler> push) =>
                    await push.RemoveFromGroupAsync(id, group) ? Results.NoContent() : Results.NotFound());
                a.MapPost("/groups/{group}", async (string group, IWebSocketPush<AlphaHandler> push, HttpRequest request) =>
                    (await push.Group(group).SendTextAsync(await ReadBodyAsync(request))).Reached);
            },
            services => services.AddWebSocketHandler<AlphaHandler>());
        using var http = app.CreateHttpClient();
        using var a = await app.ConnectAsync("/ws");
        using var b = await app.ConnectAsync("/ws");

        Assert.Equal(2, await PostAsync(http, "/broadcast", "news"));
        Assert.Equal("news", await a.ReceiveTextAsync());
        Assert.Equal("news", await b.ReceiveTextAsync());

        Assert.Equal(1, await PostAsync(http, "/connections/" + b.Id, "just b"));
        Assert.Equal("just b", await b.ReceiveTextAsync());
        Assert.Equal(0, await PostAsync(http, "/connections/unknown-1", "nobody"));

        using (var added = await http.PutAsync(new Uri("/groups/vip/" + a.Id, UriKind.Relative), null, Ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, added.StatusCode);
        }

        using (var unknown = await http.PutAsync(new Uri("/groups/vip/unknown-1", UriKind.Relative), null, Ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        }

        Assert.Equal(1, await PostAsync(http, "/groups/vip", "vip only"));
        Assert.Equal("vip only", await a.ReceiveTextAsync());

        using (var removed = await http.DeleteAsync(new Uri("/groups/vip/" + a.Id, UriKind.Relative), Ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, removed.StatusCode);
        }

        Assert.Equal(0, await PostAsync(http, "/groups/vip", "nobody left"));
        Assert.Equal(0, app.Scope<AlphaHandler>().GroupCount);

        Assert.Equal(1, await PostAsync(http, "/connections/" + a.Id, "marker"));
        Assert.Equal("marker", await a.ReceiveTextAsync());
        Assert.Equal(1, await PostAsync(http, "/connections/" + b.Id, "marker"));
        Assert.Equal("marker", await b.ReceiveTextAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_hosted_service_pushes_to_the_connections_of_its_handler_type(bool kestrel)
    {
        var inbox = new AnnouncerInbox();
        await using var app = await PushApp.StartAsync(
            kestrel,
            a => a.UseWebSocketHandler<AlphaHandler>("/ws"),
            services =>
            {
                services.AddWebSocketHandler<AlphaHandler>();
                services.AddSingleton(inbox);
                services.AddHostedService<Announcer>();
            });
        using var a = await app.ConnectAsync("/ws");
        using var b = await app.ConnectAsync("/ws");

        for (var i = 0; i < 3; i++)
        {
            var text = "tick " + i.ToString(CultureInfo.InvariantCulture);
            inbox.Requests.Writer.TryWrite(text);
            var result = await inbox.Results.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(15), Ct);
            Assert.Equal(2, result.Reached);
            Assert.Equal(text, await a.ReceiveTextAsync());
            Assert.Equal(text, await b.ReceiveTextAsync());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_handler_of_another_endpoint_pushes_into_this_handler_types_connections_and_a_handler_pushes_to_its_own_peers(bool kestrel)
    {
        await using var app = await PushApp.StartAsync(
            kestrel,
            a =>
            {
                a.UseWebSocketHandler<AlphaHandler>("/alpha");
                a.UseWebSocketHandler<RelayHandler>("/relay");
            },
            services =>
            {
                services.AddWebSocketHandler<AlphaHandler>();
                services.AddWebSocketHandler<RelayHandler>();
            });
        using var a = await app.ConnectAsync("/alpha");
        using var b = await app.ConnectAsync("/alpha");
        using var relay = await app.ConnectAsync("/relay");

        // The relay's handler pushes to every Alpha connection, and tells its own client how many it reached.
        Assert.Equal("relayed to 2", await relay.AskAsync("from the relay"));
        Assert.Equal("from the relay", await a.ReceiveTextAsync());
        Assert.Equal("from the relay", await b.ReceiveTextAsync());

        // An Alpha handler pushes to its group peers except the sender (the chat room case).
        Assert.Equal("joined:room:True", await a.AskAsync("join:room"));
        Assert.Equal("joined:room:True", await b.AskAsync("join:room"));
        Assert.Equal("sent:1", await a.AskAsync("room:room:hi from a"));
        Assert.Equal("hi from a", await b.ReceiveTextAsync());

        // The relay's own connection is not an Alpha connection.
        Assert.Equal("relayed to 2", await relay.AskAsync("again"));
        Assert.Equal("again", await a.ReceiveTextAsync());
        Assert.Equal("again", await b.ReceiveTextAsync());
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }

    private static async Task<int> PostAsync(HttpClient http, string path, string text)
    {
        using var content = new StringContent(text);
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content, Ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<int>(Ct);
    }

    /// <summary>Pushes every message it receives to all Alpha connections and replies with the count reached.</summary>
    private sealed class RelayHandler(IWebSocketPush<AlphaHandler> alpha) : IMessageHandler
    {
        public async ValueTask OnConnectedAsync(IWebSocketConnection connection) =>
            await connection.SendTextAsync(AlphaHandler.IdPrefix + connection.Id);

        public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
        {
            var result = await alpha.All.SendTextAsync(message.Payload);
            await connection.SendTextAsync("relayed to " + result.Reached.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>What the test asks the hosted service to push, and what each push reached.</summary>
    private sealed class AnnouncerInbox
    {
        public Channel<string> Requests { get; } = Channel.CreateUnbounded<string>();

        public Channel<PushResult> Results { get; } = Channel.CreateUnbounded<PushResult>();
    }

    /// <summary>A background service that pushes to all Alpha connections on request.</summary>
    private sealed class Announcer(IWebSocketPush<AlphaHandler> push, AnnouncerInbox inbox) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await foreach (var text in inbox.Requests.Reader.ReadAllAsync(stoppingToken))
            {
                inbox.Results.Writer.TryWrite(await push.All.SendTextAsync(text, stoppingToken));
            }
        }
    }
}
