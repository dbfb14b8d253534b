using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Routing;

public sealed class MapWebSocketHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MapWebSocketHandler_returns_a_convention_builder_whose_conventions_reach_the_endpoint()
    {
        var marker = new object();
        IEndpointConventionBuilder? builder = null;
        await using var app = await TestApp.StartKestrelAsync(a =>
            builder = a.MapWebSocketHandler("/rooms/{room}", new EchoMessageHandler()).WithName("room-socket").WithMetadata(marker));

        Assert.NotNull(builder);
        var endpoint = Assert.Single(
            app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>(),
            e => e.RoutePattern.RawText == "/rooms/{room}");
        Assert.Equal("WebSocket /rooms/{room}", endpoint.DisplayName);
        Assert.Contains(marker, endpoint.Metadata);
        Assert.Equal("room-socket", endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName);

        // WithName makes the endpoint addressable by name, like any other endpoint.
        var links = app.Services.GetRequiredService<LinkGenerator>();
        Assert.Equal("/rooms/lobby", links.GetPathByName("room-socket", new RouteValueDictionary { ["room"] = "lobby" }));
    }

    [Fact]
    public async Task Route_value_room_of_pattern_rooms_room_reaches_the_handler()
    {
        var handler = new RecordingHandler
        {
            OnConnected = c => c.SendTextAsync("room=" + c.HttpContext.Request.RouteValues["room"]),
        };
        await using var app = await TestApp.StartKestrelAsync(a => a.MapWebSocketHandler("/rooms/{room}", handler));
        using var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri("/rooms/lobby"), Ct);

        Assert.Equal("room=lobby", await client.ReceiveTextAsync(Ct));
        Assert.Equal("echo", await client.EchoAsync("echo", Ct));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task Plain_http_request_to_a_mapped_endpoint_gets_400_and_never_reaches_the_handler(string method)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a => a.MapWebSocketHandler("/ws", handler));
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/ws"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("only accepts WebSocket requests", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Empty(handler.Events);
    }

    [Fact]
    public async Task RequireAuthorization_anonymous_upgrade_gets_401_without_upgrading_and_a_signed_in_user_connects()
    {
        var handler = new RecordingHandler
        {
            OnConnected = c => c.SendTextAsync("hello " + c.HttpContext.User.Identity?.Name),
        };
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseAuthentication();
                a.UseAuthorization();
                a.MapWebSocketHandler("/secure", handler).RequireAuthorization();
            },
            TestAuthHandler.AddTo);

        await using (var anonymous = await RawWebSocketClient.ConnectAsync(app.Port, "/secure", cancellationToken: Ct))
        {
            Assert.Equal(401, anonymous.Handshake.StatusCode);
            Assert.Null(anonymous.Handshake.Header("Sec-WebSocket-Accept"));
        }

        Assert.Equal(0, handler.ConnectedCount);

        using var client = new ClientWebSocket();
        client.Options.SetRequestHeader(TestAuthHandler.UserHeader, "alice");
        await client.ConnectAsync(app.WebSocketUri("/secure"), Ct);
        Assert.Equal("hello alice", await client.ReceiveTextAsync(Ct));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Fact]
    public async Task RequireCors_composes_preflight_is_answered_while_AllowedOrigins_still_decides_the_upgrade()
    {
        const string Allowed = "https://app.example.com";
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseCors();
                a.MapWebSocketHandler("/ws", handler, o => o.AllowedOrigins.Add(Allowed)).RequireCors("site");
            },
            s => s.AddCors(o => o.AddPolicy("site", p => p.WithOrigins(Allowed).AllowAnyHeader().AllowAnyMethod())));

        // The CORS middleware answers the preflight for the endpoint: the policy was attached by RequireCors.
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/ws");
        preflight.Headers.Add("Origin", Allowed);
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        using var preflightResponse = await http.SendAsync(preflight, Ct);
        Assert.Equal(HttpStatusCode.NoContent, preflightResponse.StatusCode);
        Assert.Equal(Allowed, Assert.Single(preflightResponse.Headers.GetValues("Access-Control-Allow-Origin")));

        // Browsers do not apply CORS to WebSockets: the upgrade from the allowed origin succeeds...
        await using (var allowed = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", [new("Origin", Allowed)], cancellationToken: Ct))
        {
            Assert.Equal(101, allowed.Handshake.StatusCode);
            await allowed.SendTextAsync("hi", Ct);
            Assert.Equal("hi", (await allowed.ReadFrameAsync(cancellationToken: Ct)).TextPayload);
        }

        // ...and a foreign origin is refused by the endpoint's own origin check, not by CORS.
        await using var foreign = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", [new("Origin", "https://evil.example")], cancellationToken: Ct);
        Assert.Equal(403, foreign.Handshake.StatusCode);
        Assert.Equal(1, handler.ConnectedCount);
    }

    [Fact]
    public async Task Mapped_endpoint_and_other_routes_coexist_and_unmatched_paths_get_404()
    {
        await using var app = await TestApp.StartKestrelAsync(a =>
        {
            a.MapGet("/hello", () => "world");
            a.MapWebSocketHandler("/ws", new EchoMessageHandler("Received:  "));
        });
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        Assert.Equal("world", await http.GetStringAsync(new Uri("/hello", UriKind.Relative), Ct));
        using var missing = await http.GetAsync(new Uri("/ws/extra", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        Assert.Equal("Received:  hi", await client.EchoAsync("hi", Ct));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }
}
