using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>What the page shows when the server goes away, against a sample process of the test's own.</summary>
public sealed class ServerStopTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_the_server_logs_close_1001_Server_shutting_down_and_the_process_exits_0()
    {
        await using var context = await browser.NewContextAsync();
        await using var server = await SampleServer.StartAsync(Ct);
        var page = await EchoPage.OpenAsync(context, server.BaseAddress);
        await page.WaitForStatusAsync("open");

        var exitCode = await server.StopAsync(Ct);

        await page.WaitForEntryAsync("close", "code 1001, reason \"Server shutting down\"");
        await page.WaitForStatusAsync("closed");
        Assert.True(exitCode == 0, $"The sample exited with {exitCode}. Output:{Environment.NewLine}{server.Output}");
    }
}
