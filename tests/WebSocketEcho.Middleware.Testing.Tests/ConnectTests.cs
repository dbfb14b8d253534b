using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>ConnectWebSocketAsync: what the upgrade request carries, and how a refused or hanging handshake fails.</summary>
public sealed class ConnectTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connects_to_the_path_and_the_handler_sees_the_path_the_query_and_an_open_connection()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);

        await using var client = await app.Server.ConnectWebSocketAsync("/chat?room=blue", cancellationToken: Ct);
        var connection = await handler.NextConnectedAsync();

        Assert.Equal("/chat?room=blue", client.Path);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, client.State);
        Assert.Equal("/chat", connection.HttpContext.Request.Path);
        Assert.Equal("blue", connection.HttpContext.Request.Query["room"]);
    }

    [Fact]
    public async Task Headers_cookies_and_query_parameters_from_the_options_reach_the_upgrade_request_escaped()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);

        await using var client = await app.Server.ConnectWebSocketAsync("/chat?room=blue", o =>
        {
            o.Headers.Authorization = "Bearer token-1";
            o.Headers["X-Tenant"] = "acme";
            o.Headers.Cookie = "theme=dark";
            o.Cookies["session"] = "abc";
            o.Cookies["lang"] = "fr";
            o.Query["name"] = "a b&c=d";
        }, Ct);
        var request = (await handler.NextConnectedAsync()).HttpContext.Request;

        Assert.Equal("Bearer token-1", request.Headers.Authorization);
        Assert.Equal("acme", request.Headers["X-Tenant"]);
        Assert.Equal("dark", request.Cookies["theme"]);
        Assert.Equal("abc", request.Cookies["session"]);
        Assert.Equal("fr", request.Cookies["lang"]);
        Assert.Equal("blue", request.Query["room"]);
        Assert.Equal("a b&c=d", request.Query["name"]);
        Assert.Equal("/chat?room=blue&name=a%20b%26c%3Dd", client.Path);
    }

    [Theory]
    [InlineData("v1.chat,v2.chat", "v2.chat")]
    [InlineData("v1.chat", "v1.chat")]
    public async Task Offered_subprotocols_are_negotiated_and_the_client_reports_the_server_choice(string offered, string expected)
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler, o =>
        {
            o.SubProtocols.Add("v2.chat");
            o.SubProtocols.Add("v1.chat");
        });

        await using var client = await app.Server.ConnectWebSocketAsync("/chat", o =>
        {
            foreach (var protocol in offered.Split(','))
            {
                o.SubProtocols.Add(protocol);
            }
        }, Ct);

        Assert.Equal(expected, client.SubProtocol);
        Assert.Equal(expected, (await handler.NextConnectedAsync()).SubProtocol);
    }

    [Fact]
    public async Task Foreign_Origin_header_is_refused_with_WebSocketHandshakeRefusedException_403_naming_the_path()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);

        var refused = await Assert.ThrowsAsync<WebSocketHandshakeRefusedException>(
            () => app.Server.ConnectWebSocketAsync("/chat", o => o.Headers.Origin = "https://evil.example", Ct));

        Assert.Equal(403, refused.StatusCode);
        Assert.Equal("/chat", refused.Path);
        Assert.Equal("The WebSocket handshake on /chat was refused with HTTP 403 instead of 101 Switching Protocols.", refused.Message);
        Assert.IsType<InvalidOperationException>(refused, exactMatch: false);
    }

    [Fact]
    public async Task Listed_Origin_header_is_accepted()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", new CapturingHandler(), o => o.AllowedOrigins.Add("https://app.example.com"));

        await using var client = await app.Server.ConnectWebSocketAsync("/chat", o => o.Headers.Origin = "https://app.example.com", Ct);
        await client.SendTextAsync("hi", Ct);

        Assert.Equal("hi", await client.ReceiveTextAsync(Ct));
    }

    [Fact]
    public async Task Path_no_endpoint_serves_is_refused_with_the_status_of_the_app_404()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", new CapturingHandler());

        var refused = await Assert.ThrowsAsync<WebSocketHandshakeRefusedException>(() => app.Server.ConnectWebSocketAsync("/other", cancellationToken: Ct));

        Assert.Equal(404, refused.StatusCode);
        Assert.Equal("/other", refused.Path);
    }

    [Fact]
    public async Task Handshake_the_app_never_answers_fails_with_TimeoutException_after_the_timeout_naming_the_path()
    {
        await using var app = await InMemoryApp.StartAsync(a => a.Map(new PathString("/hang"), b => b.Run(c => Task.Delay(Timeout.Infinite, c.RequestAborted))));

        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => app.Server.ConnectWebSocketAsync("/hang", o => o.Timeout = TimeSpan.FromMilliseconds(300), Ct));

        Assert.Equal("No answer to the WebSocket handshake within 300 ms on /hang.", error.Message);
    }

    [Fact]
    public async Task Connection_outlives_the_handshake_timeout_because_it_bounds_only_the_handshake()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", new CapturingHandler());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", o => o.Timeout = TimeSpan.FromMilliseconds(300), Ct);

        // Longer than the handshake's timeout: a token that fired now would abort the request and end the connection.
        await client.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(600), Ct);
        await client.SendTextAsync("still open", Ct);

        Assert.Equal("still open", await client.ReceiveTextAsync(Ct));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("ws://localhost/chat")]
    public async Task Path_without_a_leading_slash_is_an_ArgumentException_naming_path(string path)
    {
        await using var app = await InMemoryApp.StartAsync("/chat", new CapturingHandler());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => app.Server.ConnectWebSocketAsync(path, cancellationToken: Ct));

        Assert.Equal("path", error.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public void Timeout_of_zero_or_less_is_an_ArgumentOutOfRangeException(int milliseconds)
    {
        var options = new WebSocketTestClientOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => options.Timeout = TimeSpan.FromMilliseconds(milliseconds));
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
    }

    [Fact]
    public void Default_timeout_is_5_seconds_and_infinite_is_allowed()
    {
        var options = new WebSocketTestClientOptions();

        Assert.Equal(TimeSpan.FromSeconds(5), WebSocketTestClientOptions.DefaultTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
        options.Timeout = Timeout.InfiniteTimeSpan;
        Assert.Equal(Timeout.InfiniteTimeSpan, options.Timeout);
    }
}
