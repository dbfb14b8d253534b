using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Kestrel;

/// <summary>The opening handshake as it crosses the wire: the accept key, the negotiated subprotocol, a refused origin, pass-through.</summary>
public sealed class HandshakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("f7cb4ezEAl6C3wRaU6JORA==", "rE91AJhfC+6JdVcVXOGJEADEJdQ=")] // the chapter's example
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")] // RFC 6455 section 1.3
    public async Task Sec_WebSocket_Key_is_answered_with_101_and_its_Sec_WebSocket_Accept(string key, string accept)
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler());
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, key: key, cancellationToken: Ct);

        Assert.Equal(101, raw.Handshake.StatusCode);
        Assert.Equal(accept, raw.Handshake.Header("Sec-WebSocket-Accept"));
        Assert.Equal(accept, RawWebSocketClient.ExpectedAccept(key));
        Assert.Equal("websocket", raw.Handshake.Header("Upgrade"), ignoreCase: true);
        Assert.Contains("upgrade", raw.Handshake.Header("Connection") ?? string.Empty, StringComparison.OrdinalIgnoreCase);

        await raw.SendTextAsync("hi", Ct);
        Assert.Equal("hi", (await raw.ReadFrameAsync(cancellationToken: Ct)).TextPayload);
    }

    [Theory]
    [InlineData("v1.chat, v2.chat", "v2.chat")]
    [InlineData("v1.chat", "v1.chat")]
    [InlineData("other, v1.chat", "v1.chat")]
    public async Task Offered_subprotocols_are_answered_with_the_server_preferred_one_in_Sec_WebSocket_Protocol(string offered, string selected)
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler(), o =>
        {
            o.SubProtocols.Add("v2.chat");
            o.SubProtocols.Add("v1.chat");
        });
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, [new("Sec-WebSocket-Protocol", offered)], cancellationToken: Ct);

        Assert.Equal(101, raw.Handshake.StatusCode);
        Assert.Equal(selected, raw.Handshake.Header("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public async Task No_matching_subprotocol_is_answered_with_101_and_no_Sec_WebSocket_Protocol_header()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler(), o => o.SubProtocols.Add("v2.chat"));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, [new("Sec-WebSocket-Protocol", "mqtt")], cancellationToken: Ct);

        Assert.Equal(101, raw.Handshake.StatusCode);
        Assert.Null(raw.Handshake.Header("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public async Task ClientWebSocket_offering_subprotocols_gets_the_server_preferred_one()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, o =>
        {
            o.SubProtocols.Add("v2.chat");
            o.SubProtocols.Add("v1.chat");
        });
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath, o =>
        {
            o.AddSubProtocol("v1.chat");
            o.AddSubProtocol("v2.chat");
        });

        Assert.Equal("v2.chat", client.SubProtocol);
        Assert.Equal("v2.chat", (await handler.NextConnectedAsync()).SubProtocol);
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
