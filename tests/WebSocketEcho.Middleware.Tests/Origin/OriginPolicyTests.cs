using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Origin;

/// <summary>
/// The origin check (cross-site WebSocket hijacking protection) for the basic cases, on TestHost (whose requests are
/// <c>http://localhost</c>, so that is the same origin) and, for a refused and an accepted origin, on the wire on real
/// Kestrel. The full matrix of hosts, ports and policies: <see cref="OriginMatrixTests"/>.
/// </summary>
public sealed class OriginPolicyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_without_Origin_is_accepted()
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler());
        await using var client = await app.ConnectTestClientAsync();

        Assert.Equal("ok", await client.RoundTripAsync("ok"));
    }

    [Theory]
    [InlineData("http://localhost")]
    [InlineData("http://localhost:80")]
    [InlineData("HTTP://LocalHost")]
    public async Task Same_origin_is_accepted_without_configuration(string origin)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler());
        await using var client = await ConnectWithOriginAsync(app, origin);

        Assert.Equal("ok", await client.RoundTripAsync("ok"));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://localhost")]
    [InlineData("http://localhost:8080")]
    [InlineData("null")]
    [InlineData("not an origin")]
    public async Task Foreign_origin_gets_403_before_the_upgrade(string origin)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);

        var refused = await Assert.ThrowsAsync<WebSocketHandshakeRefusedException>(() => ConnectWithOriginAsync(app, origin));

        Assert.Equal(403, refused.StatusCode);
        Assert.Equal(0, handler.ConnectedCount);
        var refusal = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 3);
        Assert.Equal(LogLevel.Information, refusal.Level);
        Assert.Contains(origin, refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("http://localhost:8080")]
    public async Task Star_accepts_every_origin(string origin)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler(), o => o.AllowedOrigins.Add("*"));
        await using var client = await ConnectWithOriginAsync(app, origin);

        Assert.Equal("ok", await client.RoundTripAsync("ok"));
    }

    [Theory]
    [InlineData("https://app.example.com")]
    [InlineData("https://APP.Example.com")]
    [InlineData("https://app.example.com:443")]
    [InlineData("http://localhost")]
    public async Task Listed_origin_and_same_origin_are_accepted(string origin)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler(), o => o.AllowedOrigins.Add("https://app.example.com"));
        await using var client = await ConnectWithOriginAsync(app, origin);

        Assert.Equal("ok", await client.RoundTripAsync("ok"));
    }

    [Theory]
    [InlineData("http://app.example.com")]
    [InlineData("https://app.example.com:8443")]
    [InlineData("https://other.example.com")]
    public async Task Origin_that_differs_from_the_listed_one_in_scheme_port_or_host_gets_403(string origin)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler, o => o.AllowedOrigins.Add("https://app.example.com"));

        var refused = await Assert.ThrowsAsync<WebSocketHandshakeRefusedException>(() => ConnectWithOriginAsync(app, origin));

        Assert.Equal(403, refused.StatusCode);
        Assert.Equal(0, handler.ConnectedCount);
    }

    [Fact]
    public async Task Null_origin_is_accepted_when_null_is_listed()
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler(), o => o.AllowedOrigins.Add("null"));
        await using var client = await ConnectWithOriginAsync(app, "null");

        Assert.Equal("ok", await client.RoundTripAsync("ok"));
    }

    [Fact]
    public async Task Foreign_origin_gets_403_on_the_wire_without_an_upgrade_and_the_handler_never_runs()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, [new("Origin", "https://evil.example")], cancellationToken: Ct);

        Assert.Equal(403, raw.Handshake.StatusCode);
        Assert.Null(raw.Handshake.Header("Sec-WebSocket-Accept"));
        Assert.Equal(0, handler.ConnectedCount);
    }

    [Fact]
    public async Task Same_origin_on_the_real_host_and_port_is_accepted()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler());
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, [new("Origin", $"http://127.0.0.1:{app.Port}")], cancellationToken: Ct);

        Assert.Equal(101, raw.Handshake.StatusCode);
    }

    private static Task<WebSocketTestClient> ConnectWithOriginAsync(TestApp app, string origin) =>
        app.ConnectTestClientAsync(configure: o => o.Headers.Origin = origin);
}
