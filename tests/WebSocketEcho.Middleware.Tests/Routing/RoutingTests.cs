using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Routing;

/// <summary>Which requests the endpoint takes, and that everything else reaches the next middleware untouched, on TestHost and on real Kestrel.</summary>
public sealed class RoutingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Other paths, and plain (non-upgrade) requests to the endpoint's own path, pass by untouched.</summary>
    [Theory]
    [InlineData("/other")]
    [InlineData("/")]
    [InlineData("/ws/more")]
    [InlineData("/wsx")]
    [InlineData("/ws")]
    [InlineData("/ws/")]
    public async Task Plain_GET_to_another_path_or_to_the_path_reaches_the_next_middleware(string path)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        using var http = app.TestServer.CreateClient();

        Assert.Equal("next:" + path, await http.GetStringAsync(new Uri("http://localhost" + path), Ct));
        Assert.Equal(0, handler.ConnectedCount);
    }

    [Theory]
    [InlineData("/other")]
    [InlineData("/ws/more")]
    public async Task WebSocket_request_to_another_path_is_not_accepted_and_reaches_the_next_middleware(string path)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);

        // The next middleware answers 200 with a body instead of 101.
        var refused = await Assert.ThrowsAsync<WebSocketHandshakeRefusedException>(() => app.ConnectTestClientAsync(path));
        Assert.Equal(200, refused.StatusCode);
        Assert.Equal(0, handler.ConnectedCount);
    }

    [Theory]
    [InlineData("/ws")]
    [InlineData("/ws/")]
    [InlineData("/WS")]
    public async Task WebSocket_request_to_the_path_with_or_without_trailing_slash_in_any_case_is_accepted(string path)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler("Received:  "));
        await using var client = await app.ConnectTestClientAsync(path);

        Assert.Equal("Received:  hi", await client.RoundTripAsync("hi"));
    }

    [Fact]
    public async Task With_app_UseWebSockets_before_it_echo_and_pass_through_still_work()
    {
        await using var app = await TestApp.StartTestHostAsync(a =>
        {
            a.UseWebSockets();
            a.UseWebSocketHandler("/echo", new EchoMessageHandler("Received:  "));
            a.Run(TestApp.NextMiddleware);
        });
        await using var client = await app.ConnectTestClientAsync("/echo");
        using var http = app.TestServer.CreateClient();

        Assert.Equal("Received:  hi", await client.RoundTripAsync("hi"));
        Assert.Equal("next:/echo", await http.GetStringAsync(new Uri("http://localhost/echo"), Ct));
    }

    [Fact]
    public async Task Under_UsePathBase_the_path_is_matched_after_the_base_and_the_bare_path_passes_through()
    {
        await using var app = await TestApp.StartTestHostAsync(a =>
        {
            a.UsePathBase("/base");
            a.UseWebSocketHandler("/echo", new EchoMessageHandler("Received:  "));
            a.Run(TestApp.NextMiddleware);
        });
        await using var client = await app.ConnectTestClientAsync("/base/echo");
        using var http = app.TestServer.CreateClient();

        Assert.Equal("Received:  based", await client.RoundTripAsync("based"));
        Assert.Equal("next:/echo", await http.GetStringAsync(new Uri("http://localhost/base/echo"), Ct));
    }

    [Fact]
    public async Task Two_endpoints_on_different_paths_each_get_their_own_connections()
    {
        var first = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(a =>
        {
            a.UseWebSocketHandler("/first", first);
            a.UseWebSocketHandler("/second", new EchoMessageHandler("second: "));
            a.Run(TestApp.NextMiddleware);
        });
        await using var toFirst = await app.ConnectTestClientAsync("/first");
        await using var toSecond = await app.ConnectTestClientAsync("/second");

        Assert.Equal("one", await toFirst.RoundTripAsync("one"));
        Assert.Equal("second: two", await toSecond.RoundTripAsync("two"));
        Assert.Equal(1, first.ConnectedCount);
    }

    [Fact]
    public async Task Plain_GET_to_the_path_and_other_paths_reach_the_next_middleware_on_Kestrel()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler());
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        Assert.Equal("next:/ws", await http.GetStringAsync(new Uri("/ws", UriKind.Relative), Ct));
        Assert.Equal("next:/other", await http.GetStringAsync(new Uri("/other", UriKind.Relative), Ct));
    }

    [Fact]
    public async Task With_app_UseWebSockets_before_it_the_handshake_and_echo_work_on_Kestrel()
    {
        await using var app = await TestApp.StartKestrelAsync(a =>
        {
            a.UseWebSockets();
            a.UseWebSocketHandler("/echo", new EchoMessageHandler("Received:  "));
            a.Run(TestApp.NextMiddleware);
        });
        using var client = await app.ConnectClientAsync("/echo");
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        Assert.Equal("Received:  hi", await client.RoundTripAsync("hi"));
        Assert.Equal("next:/echo", await http.GetStringAsync(new Uri("/echo", UriKind.Relative), Ct));
    }
}
