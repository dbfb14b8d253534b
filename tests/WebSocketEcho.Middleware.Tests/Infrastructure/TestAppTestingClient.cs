using WebSocketEcho.Middleware.Testing;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>The testing package's client for the tests that run on TestHost, and a round trip on it.</summary>
internal static class TestAppTestingClient
{
    /// <summary>Above the package's 5 s default: these tests share a loaded 2-core machine with the other suites.</summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    /// <summary>Connects a <see cref="WebSocketTestClient"/> to <paramref name="path"/> (by default <see cref="TestApp.HandlerPath"/>) on the TestHost app.</summary>
    public static Task<WebSocketTestClient> ConnectTestClientAsync(this TestApp app, string path = TestApp.HandlerPath, Action<WebSocketTestClientOptions>? configure = null) =>
        app.TestServer.ConnectWebSocketAsync(
            path,
            options =>
            {
                options.Timeout = s_timeout;
                configure?.Invoke(options);
            },
            TestContext.Current.CancellationToken);

    /// <summary>Sends <paramref name="text"/> and returns the text of the next message.</summary>
    public static async Task<string> RoundTripAsync(this WebSocketTestClient client, string text)
    {
        await client.SendTextAsync(text, TestContext.Current.CancellationToken);
        return await client.ReceiveTextAsync(TestContext.Current.CancellationToken);
    }
}
