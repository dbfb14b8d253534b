using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Tls;

/// <summary>
/// One TLS endpoint offering h2 and http/1.1 by ALPN, as Kestrel's https endpoints do by default: a client that asks
/// for HTTP/2 exactly gets a WebSocket over HTTP/2 (RFC 8441 extended CONNECT), one that asks for HTTP/1.1 gets the
/// classic upgrade, both through <c>MapWebSocketHandler</c>, and the origin check sees <c>https</c> either way.
/// </summary>
public sealed class Http2OverTlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("2.0", "https HTTP/2 CONNECT")]
    [InlineData("1.1", "https HTTP/1.1 GET")]
    public async Task ClientWebSocket_with_RequestVersionExact_gets_that_version_over_TLS_and_echoes(string version, string expected)
    {
        using var certificate = TestCertificate.Create();
        var handler = new RecordingHandler
        {
            OnConnected = c => c.SendTextAsync($"{c.HttpContext.Request.Scheme} {c.HttpContext.Request.Protocol} {c.HttpContext.Request.Method}"),
        };
        await using var app = await StartAsync(certificate, handler);
        using var invoker = Invoker(certificate);
        using var client = new ClientWebSocket();
        client.Options.HttpVersion = Version.Parse(version);
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        client.Options.SetRequestHeader("Origin", $"https://127.0.0.1:{app.Port}");
        client.Options.CollectHttpResponseDetails = true;

        await client.ConnectAsync(app.WebSocketUri("/ws"), invoker, Ct);

        Assert.Equal(version == "2.0" ? HttpStatusCode.OK : HttpStatusCode.SwitchingProtocols, client.HttpStatusCode);
        Assert.Equal(expected, await client.ReceiveTextAsync(Ct));
        Assert.Equal("over TLS", await client.EchoAsync("over TLS", Ct));
        await client.SendBinaryAsync([1, 2, 3], Ct);
        Assert.Equal([1, 2, 3], (await client.ReceiveMessageAsync()).Payload);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}")]
    [InlineData("https://evil.example")]
    public async Task Over_HTTP_2_with_TLS_a_foreign_origin_gets_403(string origin)
    {
        using var certificate = TestCertificate.Create();
        var handler = new RecordingHandler();
        await using var app = await StartAsync(certificate, handler);
        using var invoker = Invoker(certificate);
        using var client = new ClientWebSocket();
        client.Options.HttpVersion = HttpVersion.Version20;
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        client.Options.SetRequestHeader("Origin", origin.Replace("{port}", app.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        client.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(app.WebSocketUri("/ws"), invoker, Ct));

        Assert.Equal(HttpStatusCode.Forbidden, client.HttpStatusCode);
        Assert.Equal(0, handler.ConnectedCount);
    }

    private static Task<TestApp> StartAsync(TestCertificate certificate, RecordingHandler handler) =>
        TestApp.StartKestrelAsync(
            a => a.MapWebSocketHandler("/ws", handler),
            protocols: HttpProtocols.Http1AndHttp2,
            configureListen: listen => listen.UseHttps(certificate.Certificate));

    private static HttpMessageInvoker Invoker(TestCertificate certificate) =>
        new(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = certificate.Validate } });
}
