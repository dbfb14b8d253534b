using Microsoft.Playwright;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>The test page against the real sample process, driven like a user drives it.</summary>
public sealed class EchoPageTests(BrowserFixture browser, SharedSampleServer sharedServer)
{
    [Fact]
    public async Task Loading_the_page_opens_ws_echo_on_the_page_own_host_and_status_becomes_open()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();

        var page = await EchoPage.OpenAsync(context, server.BaseAddress);

        await page.WaitForStatusAsync("open");
        var echoUri = server.EchoUri.ToString();
        await page.WaitForEntryAsync("open", "connected to " + echoUri);
        Assert.Equal(echoUri, await page.Page.Locator("#url").TextContentAsync());
        await Expect(page.SendButton).ToBeEnabledAsync();
        await Expect(page.ConnectButton).ToBeDisabledAsync();
    }

    [Fact]
    public async Task Default_message_is_Hello_world()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();

        var page = await EchoPage.OpenAsync(context, server.BaseAddress);

        Assert.Equal("Hello, world!", await page.Message.InputValueAsync());
    }

    [Fact]
    public async Task Clicking_Send_logs_the_message_and_the_reply_Received_two_spaces_Hello_world()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");

        await page.SendButton.ClickAsync();

        await page.WaitForEntryAsync("sent", "Hello, world!");
        await page.WaitForEntryAsync("received", "Received:  Hello, world!");
    }

    [Fact]
    public async Task Pressing_Enter_in_the_message_box_sends_the_message()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");

        await page.Message.FillAsync("sent with Enter");
        await page.Message.PressAsync("Enter");

        await page.WaitForEntryAsync("received", "Received:  sent with Enter");
    }

    [Fact]
    public async Task Typed_non_ascii_message_round_trips_unchanged()
    {
        const string message = "héllo 👋 日本";
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");

        await page.Message.FillAsync(string.Empty);
        await page.Message.PressSequentiallyAsync(message);
        Assert.Equal(message, await page.Message.InputValueAsync());
        await page.SendButton.ClickAsync();

        await page.WaitForEntryAsync("sent", message);
        await page.WaitForEntryAsync("received", "Received:  " + message);
    }

    [Fact]
    public async Task Disconnect_logs_close_with_code_1000_and_status_closed()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");

        await page.DisconnectButton.ClickAsync();

        // The page closes with 1000 "Bye"; the server answers the close with the same code (RFC 6455 5.5.1).
        await page.WaitForEntryAsync("close", "code 1000");
        await page.WaitForStatusAsync("closed");
        await Expect(page.SendButton).ToBeDisabledAsync();
        await Expect(page.ConnectButton).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Connect_after_Disconnect_opens_a_new_socket_that_echoes()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");
        await page.DisconnectButton.ClickAsync();
        await page.WaitForStatusAsync("closed");

        await page.ConnectButton.ClickAsync();

        await page.WaitForStatusAsync("open");
        await page.Message.FillAsync("after reconnect");
        await page.SendButton.ClickAsync();
        await page.WaitForEntryAsync("received", "Received:  after reconnect");
        var opens = (await page.ReadLogAsync()).Count(e => e.Kind == "open");
        Assert.Equal(2, opens);
    }

    [Fact]
    public async Task Page_loads_only_same_origin_resources_without_script_errors()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");
        // The counters are fetched from /stats once the script runs: the page has then made all its kinds of requests.
        await Expect(page.Stat("activeConnections")).Not.ToHaveTextAsync("–");

        var origin = server.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.All(page.Requests, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
        Assert.Contains(page.Requests, url => url.EndsWith("/app.js", StringComparison.Ordinal));
        Assert.Contains(page.Requests, url => url.EndsWith("/site.css", StringComparison.Ordinal));
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task Controls_are_found_by_role_and_label_and_the_log_is_a_live_region()
    {
        await using var context = await browser.NewContextAsync();
        var server = await sharedServer.GetAsync();
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");

        await Expect(page.Page.GetByLabel("Message:")).ToHaveIdAsync("message");
        await Expect(page.Page.GetByRole(AriaRole.Button, new() { Name = "Send Message" })).ToHaveIdAsync("send");
        await Expect(page.Page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true })).ToHaveIdAsync("connect");
        await Expect(page.Page.GetByRole(AriaRole.Button, new() { Name = "Disconnect" })).ToHaveIdAsync("disconnect");
        await Expect(page.Page.GetByRole(AriaRole.Log, new() { Name = "Log" })).ToHaveIdAsync("log");
        await Expect(page.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("open");
        await Expect(page.Page.Locator("html")).ToHaveAttributeAsync("lang", "en");
    }
}
