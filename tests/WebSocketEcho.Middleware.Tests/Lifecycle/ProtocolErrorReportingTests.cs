using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Lifecycle;

/// <summary>
/// When the platform finds a protocol violation it writes the close frame itself; the middleware learns the exact code
/// from the bytes it wrote (TransportStream) and reports it in DisconnectInfo and the log, also behind app.UseWebSockets().
/// </summary>
public sealed class ProtocolErrorReportingTests
{
    private static readonly Dictionary<string, (byte[] Bytes, int Status)> s_violations = new()
    {
        // At least 4 payload bytes: the platform only notices a missing mask once as many bytes as a mask key arrived.
        ["unmasked client frame"] = (RawWebSocketClient.BuildFrame(Frame.Text, "hello world"u8, mask: false), 1002),
        ["reserved opcode 0x3"] = (RawWebSocketClient.BuildFrame(0x3, "hi"u8), 1002),
        ["RSV1 without a negotiated extension"] = (RawWebSocketClient.BuildFrame(Frame.Text, "hi"u8, rsv: 0x4), 1002),
        ["continuation without a message"] = (RawWebSocketClient.BuildFrame(Frame.Continuation, "hi"u8), 1002),
        ["fragmented ping"] = (RawWebSocketClient.BuildFrame(Frame.Ping, "hi"u8, fin: false), 1002),
        ["invalid UTF-8 text"] = (RawWebSocketClient.BuildFrame(Frame.Text, [0xC0, 0xAF]), 1007),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, bool> Violations
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var name in s_violations.Keys)
            {
                data.Add(name, false);
            }

            data.Add("unmasked client frame", true);
            data.Add("invalid UTF-8 text", true);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task Protocol_violation_reports_ProtocolError_with_the_exact_close_code_sent_and_logs_it_at_Information(string violation, bool useWebSockets)
    {
        var (bytes, status) = s_violations[violation];
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a =>
        {
            if (useWebSockets)
            {
                a.UseWebSockets();
            }

            a.UseWebSocketHandler(TestApp.HandlerPath, handler);
        });
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.WriteRawAsync(bytes, Ct);

        var close = await raw.ReadUntilCloseAsync(cancellationToken: Ct);
        Assert.Equal(status, close?.CloseStatus);
        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
        Assert.Equal((WebSocketCloseStatus)status, info.CloseStatus);
        Assert.NotNull(info.Error);
        Assert.Empty(handler.Messages);

        await app.WaitForConnectionClosedLogAsync(connection.Id);
        var logged = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 6);
        Assert.Equal(LogLevel.Information, logged.Level);
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), logged.GetStructuredStateValue("CloseStatus"));
        Assert.Equal(connection.Id, logged.GetStructuredStateValue("ConnectionId"));
        Assert.DoesNotContain(app.MiddlewareLogs, r => r.Level > LogLevel.Information);
    }

    [Fact]
    public async Task Peer_close_with_a_protocol_error_code_is_ClosedByPeer_not_a_ProtocolError_of_ours()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendCloseAsync(1002, "your fault", Ct);
        Assert.Equal(Frame.Close, (await raw.ReadFrameAsync(cancellationToken: Ct)).Opcode);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, info.CloseStatus);
        Assert.Equal("your fault", info.CloseStatusDescription);
    }
}
