using WebSocketEcho.Middleware.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Handshake;

/// <summary>Subprotocol negotiation: the server's order of preference wins; no match means no subprotocol, not a refusal.</summary>
public sealed class SubProtocolTests
{
    [Theory]
    [InlineData("v1.chat,v2.chat", "v2.chat")] // both offered: the server's first choice wins over the client's order
    [InlineData("v2.chat,v1.chat", "v2.chat")]
    [InlineData("v1.chat", "v1.chat")]
    [InlineData("other,v1.chat", "v1.chat")]
    public async Task Server_preference_order_selects_the_subprotocol(string offered, string expected)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler, o =>
        {
            o.SubProtocols.Add("v2.chat");
            o.SubProtocols.Add("v1.chat");
        });

        await using var client = await ConnectOfferingAsync(app, offered.Split(','));
        var connection = await handler.NextConnectedAsync();

        Assert.Equal(expected, client.SubProtocol);
        Assert.Equal(expected, connection.SubProtocol);
    }

    [Theory]
    [InlineData("other")]
    [InlineData("V2.CHAT")] // subprotocol names are compared exactly
    [InlineData("")]
    public async Task No_matching_subprotocol_is_accepted_without_one(string offered)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler, o => o.SubProtocols.Add("v2.chat"));

        await using var client = await ConnectOfferingAsync(app, offered.Length == 0 ? [] : [offered]);
        var connection = await handler.NextConnectedAsync();

        Assert.Null(connection.SubProtocol);
        Assert.True(string.IsNullOrEmpty(client.SubProtocol));
        Assert.Equal("works", await client.RoundTripAsync("works"));
    }

    [Fact]
    public async Task Offered_subprotocol_without_any_configured_is_accepted_without_one()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);

        await using var client = await ConnectOfferingAsync(app, ["v1.chat"]);
        var connection = await handler.NextConnectedAsync();

        Assert.Null(connection.SubProtocol);
        Assert.Equal("works", await client.RoundTripAsync("works"));
    }

    private static Task<WebSocketTestClient> ConnectOfferingAsync(TestApp app, string[] offered) =>
        app.ConnectTestClientAsync(configure: o =>
        {
            foreach (var protocol in offered)
            {
                o.SubProtocols.Add(protocol);
            }
        });
}
