using System.Net;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using WebSocketEcho.Packaging.Tests.Infrastructure;

namespace WebSocketEcho.Packaging.Tests;

/// <summary>
/// <c>dotnet publish samples/WebSocketEcho.Sample -r linux-x64 -p:PublishAot=true</c> succeeds without a single
/// trimming or AOT warning, and the native binary serves the page, echoes, and shuts down gracefully.
/// Needs clang and zlib1g-dev; without them the test is skipped with the reason, unless WSE_REQUIRE_AOT=1 (CI).
/// </summary>
[Collection(DotNetCliTests.Name)]
public sealed class NativeAotTests
{
    private const string AllowedOrigin = "https://app.example.com";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sample_published_with_PublishAot_has_no_warnings_serves_the_page_echoes_binds_origins_and_stops_on_SIGTERM_with_1001()
    {
        NativeToolchain.Require();
        using var temp = new TempFolder("wse-aot");
        var publishDirectory = Path.Combine(temp.Path, "publish");

        var publish = await DotNetCli.RunCheckedAsync(
            Repository.Root,
            ["publish", Repository.SampleProject, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", publishDirectory,
             "--artifacts-path", Path.Combine(temp.Path, "artifacts"), "--disable-build-servers"],
            Timeouts.AotPublish,
            cancellationToken: Ct);
        Assert.Empty(publish.Warnings);

        var binary = Path.Combine(publishDirectory, "WebSocketEcho.Sample");
        Assert.True(IsElfExecutable(binary), $"{binary} is not a native executable.");
        Assert.False(File.Exists(Path.Combine(publishDirectory, "WebSocketEcho.Sample.dll")), "A Native AOT publish has no managed entry assembly.");

        // A list option from the command line: configuration binding (source-generated for AOT) fills AllowedOrigins.
        var (server, address) = await ServerProcess.StartAsync(
            binary, ["--Echo:WebSocket:AllowedOrigins:0=" + AllowedOrigin], publishDirectory, Timeouts.AppStart);
        using (server)
        {
            using var http = new HttpClient { BaseAddress = address };
            using var page = await http.GetAsync(new Uri("/", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);

            using var client = new ClientWebSocket();
            await client.ConnectAsync(new Uri($"ws://{address.Authority}/echo"), Ct);
            await client.SendAsync(Encoding.UTF8.GetBytes("Hello, AOT"), WebSocketMessageType.Text, true, Ct);
            var buffer = new byte[256];
            var reply = await client.ReceiveAsync(buffer, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(WebSocketMessageType.Text, reply.MessageType);
            Assert.Equal("Received:  Hello, AOT", Encoding.UTF8.GetString(buffer, 0, reply.Count));

            Assert.Equal(HttpStatusCode.SwitchingProtocols, await ConnectStatusAsync(address, AllowedOrigin));
            Assert.Equal(HttpStatusCode.Forbidden, await ConnectStatusAsync(address, "https://evil.example"));

            // Graceful shutdown in the native binary: the open connection gets 1001 Going Away, the process exits with 0.
            var closing = client.ReceiveAsync(buffer, Ct);
            var stopping = server.StopGracefullyAsync(Timeouts.AppStart);
            var close = await closing.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(WebSocketMessageType.Close, close.MessageType);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
            Assert.Equal(0, await stopping);
        }
    }

    /// <summary>Opens a WebSocket to /echo from a page of <paramref name="origin"/>; returns the handshake's HTTP status.</summary>
    private static async Task<HttpStatusCode> ConnectStatusAsync(Uri address, string origin)
    {
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        client.Options.SetRequestHeader("Origin", origin);
        try
        {
            await client.ConnectAsync(new Uri($"ws://{address.Authority}/echo"), Ct);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        }
        catch (WebSocketException)
        {
            // Refused: the status code tells why.
        }

        return client.HttpStatusCode;
    }

    internal static bool IsElfExecutable(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        Span<byte> magic = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
    }
}
