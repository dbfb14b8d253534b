using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>
/// The sample's chat: <c>/chat.html</c> in two browser pages (what one types appears on both), <c>POST /chat/messages</c>
/// pushing to every page from outside the socket, and the <c>/chat</c> socket as a non-browser client meets it.
/// Other tests may use the shared sample's chat at the same time, so each test waits for its own unique texts.
/// </summary>
public sealed class ChatTests(BrowserFixture browser, SharedSampleServer sharedServer)
{
    private const int ChatMaxMessageSize = 16384; // appsettings.json, Chat:WebSocket:MaxMessageSize

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task What_one_chat_page_types_appears_unchanged_on_both_pages()
    {
        var server = await sharedServer.GetAsync();
        await using var aliceContext = await browser.NewContextAsync();
        await using var bobContext = await browser.NewContextAsync();
        var alice = await EchoPage.OpenAsync(aliceContext, ChatPage(server));
        var bob = await EchoPage.OpenAsync(bobContext, ChatPage(server));
        await alice.WaitForStatusAsync("open");
        await bob.WaitForStatusAsync("open");
        var text = "héllo from alice 👋 " + Guid.NewGuid().ToString("N")[..8];

        await alice.Message.FillAsync(text);
        await alice.SendButton.ClickAsync();

        await alice.WaitForEntryAsync("sent", text);
        await alice.WaitForEntryAsync("received", text);
        await bob.WaitForEntryAsync("received", text);
        Assert.Empty(alice.ScriptErrors);
        Assert.Empty(bob.ScriptErrors);
    }

    [Fact]
    public async Task A_POST_to_chat_messages_appears_on_both_pages_and_answers_202_with_the_pages_reached()
    {
        var server = await sharedServer.GetAsync();
        await using var context = await browser.NewContextAsync();
        var first = await EchoPage.OpenAsync(context, ChatPage(server));
        var second = await EchoPage.OpenAsync(context, ChatPage(server));
        await first.WaitForStatusAsync("open");
        await second.WaitForStatusAsync("open");
        var text = "pushed by HTTP " + Guid.NewGuid().ToString("N")[..8];

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync("/chat/messages", new StringContent(text), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<PostAnswer>(Ct);
        Assert.NotNull(body);
        Assert.True(body.Reached >= 2, $"reached {body.Reached}, expected at least the two pages");
        Assert.Equal("None", body.Backplane);
        await first.WaitForEntryAsync("received", text);
        await second.WaitForEntryAsync("received", text);
    }

    [Fact]
    public async Task A_non_browser_client_gets_every_chat_message_including_its_own_and_a_POST()
    {
        var server = await sharedServer.GetAsync();
        using var a = new ClientWebSocket();
        using var b = new ClientWebSocket();
        await a.ConnectAsync(ChatUri(server), Ct);
        await b.ConnectAsync(ChatUri(server), Ct);
        var text = "from a " + Guid.NewGuid().ToString("N")[..8];
        var posted = "from curl " + Guid.NewGuid().ToString("N")[..8];

        await a.SendTextAsync(text, Ct);
        await WaitForTextAsync(a, text);
        await WaitForTextAsync(b, text);

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync("/chat/messages", new StringContent(posted), Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await WaitForTextAsync(a, posted);
        await WaitForTextAsync(b, posted);

        await a.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await b.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Theory]
    [InlineData("empty", 0)]
    [InlineData("one byte over MaxMessageSize", ChatMaxMessageSize + 1)]
    public async Task A_POST_with_an_empty_or_over_limit_body_gets_400(string what, int length)
    {
        var server = await sharedServer.GetAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await http.PostAsync("/chat/messages", new ByteArrayContent(Encoding.ASCII.GetBytes(new string('a', length))), Ct);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode}");
        Assert.False(string.IsNullOrWhiteSpace(await response.Content.ReadAsStringAsync(Ct)), "The 400 says why.");
    }

    [Fact]
    public async Task A_POST_of_exactly_MaxMessageSize_bytes_is_accepted()
    {
        var server = await sharedServer.GetAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await http.PostAsync("/chat/messages", new StringContent(new string('a', ChatMaxMessageSize)), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task A_POST_that_is_not_UTF8_gets_400()
    {
        var server = await sharedServer.GetAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await http.PostAsync("/chat/messages", new ByteArrayContent([0x68, 0xC3, 0x28]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_binary_chat_message_closes_that_connection_with_1003_Text_only()
    {
        var server = await sharedServer.GetAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(ChatUri(server), Ct);

        await client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, endOfMessage: true, Ct);

        // Chat messages of other tests may arrive before the close frame.
        while ((await client.ReceiveMessageAsync(Ct)).Type != WebSocketMessageType.Close)
        {
        }

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, client.CloseStatus);
        Assert.Equal("Text only", client.CloseStatusDescription);
    }

    private static Uri ChatPage(SampleServer server) => new(server.BaseAddress, "chat.html");

    private static Uri ChatUri(SampleServer server) => new UriBuilder(server.EchoUri) { Path = "/chat" }.Uri;

    /// <summary>Reads chat messages until <paramref name="text"/> arrives (other tests' messages may come first).</summary>
    private static async Task WaitForTextAsync(ClientWebSocket client, string text)
    {
        while (await client.ReceiveTextAsync(Ct) != text)
        {
        }
    }

    private sealed record PostAnswer(int Reached, string Backplane);
}
