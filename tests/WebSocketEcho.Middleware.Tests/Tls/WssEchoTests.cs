using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Tls;

/// <summary>
/// <c>wss://</c>: WebSockets over TLS on real Kestrel (HTTP/1.1 upgrade inside TLS), with a self-signed certificate the
/// test makes in memory. The client accepts that certificate only, and only with matching names.
/// </summary>
public sealed class WssEchoTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClientWebSocket_over_wss_echoes_text_binary_and_a_1_MiB_message_and_closes_1000()
    {
        using var certificate = TestCertificate.Create();
        var handler = new RecordingHandler { OnConnected = c => c.SendTextAsync($"{c.HttpContext.Request.Scheme} {c.HttpContext.Request.Protocol}") };
        await using var app = await TestApp.StartKestrelAsync(
            a => a.UseWebSocketHandler("/ws", handler),
            configureListen: listen => listen.UseHttps(certificate.Certificate));
        using var client = new ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = certificate.Validate;

        await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);

        Assert.Equal("wss", app.WebSocketUri("/ws").Scheme);
        Assert.Equal("https HTTP/1.1", await client.ReceiveTextAsync(Ct));
        Assert.Equal("hello over TLS", await client.EchoAsync("hello over TLS", Ct));

        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await client.SendBinaryAsync(binary, Ct);
        var echoedBinary = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Binary, echoedBinary.Type);
        Assert.Equal(binary, echoedBinary.Payload);

        // Exactly the default MaxMessageSize (1 MiB), in many TLS records each way.
        var big = RandomNumberGenerator.GetBytes(WebSocketHandlerOptions.DefaultMaxMessageSize);
        await client.SendBinaryAsync(big, Ct);
        var echoedBig = await client.ReceiveMessageAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketMessageType.Binary, echoedBig.Type);
        Assert.True(big.AsSpan().SequenceEqual(echoedBig.Payload), $"The 1 MiB message came back changed ({echoedBig.Payload.Length} bytes).");

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, info.CloseStatus);
    }

    [Fact]
    public async Task A_client_that_does_not_accept_the_self_signed_certificate_never_reaches_the_handler()
    {
        using var certificate = TestCertificate.Create();
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(
            a => a.UseWebSocketHandler("/ws", handler),
            configureListen: listen => listen.UseHttps(certificate.Certificate));
        using var client = new ClientWebSocket();

        var error = await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(app.WebSocketUri("/ws"), Ct));

        var causes = new List<Exception>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            causes.Add(e);
        }

        Assert.Contains(causes, e => e is System.Security.Authentication.AuthenticationException);
        Assert.Equal(0, handler.ConnectedCount);
    }
}
