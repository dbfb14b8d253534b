using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Handshake;

/// <summary>
/// The opening handshake as it crosses the wire on real Kestrel: the accept key and the negotiated subprotocol. (A refused
/// origin on the wire: Origin/OriginPolicyTests; pass-through on Kestrel: Routing/RoutingTests.)
/// </summary>
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
}
