using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Tls;

/// <summary>
/// The same-origin check on a Kestrel https endpoint, where the page's origin is <c>https://host:port</c>. The client
/// dials 127.0.0.1 whatever the URL's host, so <c>wss://localhost:port</c> also checks the certificate's DNS name and
/// sends <c>Host: localhost:port</c>. Rows: (URL host, Origin or empty for none, expected status).
/// </summary>
public sealed class OriginOverTlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, int> Cases => new()
    {
        { "127.0.0.1", "https://127.0.0.1:{port}", 101 },
        { "localhost", "https://localhost:{port}", 101 },
        { "localhost", "HTTPS://LOCALHOST:{port}", 101 },
        { "127.0.0.1", "", 101 },
        // Same host and port, but a page served over http is another origin.
        { "127.0.0.1", "http://127.0.0.1:{port}", 403 },
        { "127.0.0.1", "https://localhost:{port}", 403 },
        { "localhost", "https://127.0.0.1:{port}", 403 },
        // https's default port is 443, not this one.
        { "127.0.0.1", "https://127.0.0.1", 403 },
        { "127.0.0.1", "https://evil.example", 403 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Upgrade_over_TLS_with_Origin_gets_the_expected_status(string host, string origin, int expected)
    {
        using var certificate = TestCertificate.Create();
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(
            a => a.UseWebSocketHandler("/ws", handler),
            configureListen: listen => listen.UseHttps(certificate.Certificate));
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = certificate.Validate },
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, app.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        });
        using var client = new ClientWebSocket();
        var port = app.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (origin.Length > 0)
        {
            client.Options.SetRequestHeader("Origin", origin.Replace("{port}", port, StringComparison.Ordinal));
        }

        client.Options.CollectHttpResponseDetails = true;
        var uri = new Uri($"wss://{host}:{port}/ws");

        if (expected == 101)
        {
            await client.ConnectAsync(uri, invoker, Ct);
            Assert.Equal("same origin", await client.EchoAsync("same origin", Ct));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
            return;
        }

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(uri, invoker, Ct));
        Assert.Equal((HttpStatusCode)expected, client.HttpStatusCode);
        Assert.Equal(0, handler.ConnectedCount);
    }
}
