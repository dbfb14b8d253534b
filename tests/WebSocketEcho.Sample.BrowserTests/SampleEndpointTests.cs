using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>
/// The sample's sockets as a non-browser client (another language's client, a conformance tool) meets them:
/// <c>/echo</c> answers like the chapter's Go server; <c>/echo/plain</c> echoes unchanged, takes 16 MiB messages and
/// negotiates permessage-deflate.
/// </summary>
public sealed class SampleEndpointTests(SharedSampleServer sharedServer)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Echo_answers_a_non_browser_client_with_Received_two_spaces_and_the_message()
    {
        var server = await sharedServer.GetAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.EchoUri, Ct);

        Assert.Equal("Received:  Hello, world!", await EchoTextAsync(client, "Hello, world!"));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task Echo_refuses_a_foreign_origin_with_403()
    {
        var server = await sharedServer.GetAsync();
        using var client = new ClientWebSocket();
        client.Options.SetRequestHeader("Origin", "http://evil.example");
        client.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(server.EchoUri, Ct));
        Assert.Equal(HttpStatusCode.Forbidden, client.HttpStatusCode);
    }

    [Fact]
    public async Task Plain_echo_returns_text_and_binary_unchanged_including_a_2_MiB_message()
    {
        var server = await sharedServer.GetAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(PlainUri(server), Ct);

        Assert.Equal("Hello, world!", await EchoTextAsync(client, "Hello, world!"));

        var big = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        await client.SendAsync(big, WebSocketMessageType.Binary, endOfMessage: true, Ct);
        var (type, echoed) = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.True(big.AsSpan().SequenceEqual(echoed), "The 2 MiB binary message came back changed.");

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Fact]
    public async Task Plain_echo_negotiates_permessage_deflate_and_echoes_compressed_messages()
    {
        var server = await sharedServer.GetAsync();
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.CollectHttpResponseDetails = true;
        await client.ConnectAsync(PlainUri(server), Ct);

        Assert.NotNull(client.HttpResponseHeaders);
        Assert.Contains(client.HttpResponseHeaders, h => h.Key.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase)
            && h.Value.Any(v => v.Contains("permessage-deflate", StringComparison.Ordinal)));
        var text = string.Concat(Enumerable.Repeat("compress me ", 10_000));
        Assert.Equal(text, await EchoTextAsync(client, text));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    private static Uri PlainUri(SampleServer server) => new UriBuilder(server.EchoUri) { Path = "/echo/plain" }.Uri;

    private static async Task<string> EchoTextAsync(ClientWebSocket client, string text)
    {
        await client.SendTextAsync(text, Ct);
        return await client.ReceiveTextAsync(Ct);
    }

    private static Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync(ClientWebSocket client) => client.ReceiveMessageAsync(Ct);
}
