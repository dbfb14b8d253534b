using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>
/// The sample's socket scheduling (docs/performance.md): inline socket completions from appsettings.json, turned off
/// by configuration, and an operator's own <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> always wins. Each case
/// starts its own sample process (the runtime reads the switch once per process) and echoes through it.
/// </summary>
public sealed class SocketCompletionsTests
{
    private const string InlineLine = "Socket completions run inline on the runtime's I/O threads";
    private const string ThreadPoolLine = "Socket completions are dispatched to the thread pool";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string?, string?, string> Cases => new()
    {
        { "as shipped (appsettings.json)", null, null, InlineLine },
        { "turned off in configuration", "false", null, ThreadPoolLine },
        { "operator's variable says 0", null, "0", ThreadPoolLine },
        { "operator's variable says 1 while configuration says false", "false", "1", InlineLine },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_sample_reports_its_socket_scheduling_and_echoes(string setup, string? configured, string? variable, string expectedLine)
    {
        var environment = new Dictionary<string, string>();
        if (configured is not null)
        {
            environment["SocketTransport__InlineSocketCompletions"] = configured;
        }

        if (variable is not null)
        {
            environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = variable;
        }

        await using var server = await SampleServer.StartAsync(Ct, environment);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.EchoUri, Ct);
        await client.SendAsync("Hello, world!"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, Ct);
        var buffer = new byte[256];
        var result = await client.ReceiveAsync(buffer, Ct);
        Assert.Equal("Received:  Hello, world!", Encoding.UTF8.GetString(buffer, 0, result.Count));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);

        var output = server.Output;
        Assert.True(output.Contains(expectedLine, StringComparison.Ordinal), $"{setup}: expected \"{expectedLine}\" in the sample's output:{Environment.NewLine}{output}");
        var other = expectedLine == InlineLine ? ThreadPoolLine : InlineLine;
        Assert.False(output.Contains(other, StringComparison.Ordinal), $"{setup}: unexpected \"{other}\" in the sample's output.");
    }
}
