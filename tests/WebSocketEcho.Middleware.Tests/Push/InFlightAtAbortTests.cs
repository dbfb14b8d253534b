using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// A message still being written when its connection is aborted counts as lost, not sent. Kestrel completes a write in
/// flight at the abort as if it had gone out, and the platform's send then returns normally; the writer looks at the
/// socket once it has returned. Here the member stops reading, so a 1 MiB message to it cannot finish (small socket
/// buffers, <see cref="SocketBuffers"/>), and SendTimeout aborts the connection while it is in flight. Real Kestrel.
/// </summary>
public sealed class InFlightAtAbortTests
{
    private const int MiB = 1024 * 1024;
    private const string SentMessages = "websocket.server.sent.messages";

    /// <summary>
    /// Why the message was not sent: the writer's answer when the platform's send returned normally after the abort, or
    /// its answer when the platform's send failed (the abort can also make the write or the flush under it throw).
    /// </summary>
    private static readonly string[] s_notSentReasons =
    [
        "The WebSocket connection was aborted while the message was being sent; it may not have reached the peer.",
        "The WebSocket connection was lost while sending.",
    ];

    [Fact]
    public async Task A_push_in_flight_when_SendTimeout_aborts_the_connection_is_logged_as_not_sent_with_event_21_and_not_counted_as_sent()
    {
        await using var app = await StartAsync();
        using var sent = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware", SentMessages);
        using var stuck = await app.ConnectSlowAsync();

        // Input: a 1 MiB binary push to a member that does not read; the push call returns (queued) at once.
        await app.BlockWithBacklogAsync(stuck);

        var closed = await app.App.WaitForConnectionClosedLogAsync(stuck.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(nameof(DisconnectReason.SlowConsumer), closed.GetStructuredStateValue("DisconnectReason"));
        await PushApp.WaitUntilAsync(
            () => NotSent(app, stuck.Id).Count + Count(sent, "binary") > 0,
            "the push in flight at the abort to be counted as sent or reported as not sent");

        // Expected: reported once as not sent (event 21, saying why), and never counted as sent.
        var notSent = Assert.Single(NotSent(app, stuck.Id));
        Assert.Contains(notSent.GetStructuredStateValue("Detail"), s_notSentReasons);
        Assert.Equal(0, Count(sent, "binary"));
    }

    [Fact]
    public async Task A_handler_send_in_flight_when_SendTimeout_aborts_the_connection_throws_instead_of_returning_and_is_not_counted_as_sent()
    {
        await using var app = await StartAsync();
        using var sent = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware", SentMessages);
        using var stuck = await app.ConnectSlowAsync();

        // Input: a 1 MiB text message the handler echoes to a member that does not read.
        var text = new byte[MiB];
        Array.Fill(text, (byte)'x');
        await stuck.Socket.SendAsync(text, WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);

        await app.App.WaitForConnectionClosedLogAsync(stuck.Id, TimeSpan.FromSeconds(30));
        await PushApp.WaitUntilAsync(
            () => Lost(app, stuck.Id).Count + Count(sent, "text") > 1,
            "the echo in flight at the abort to be counted as sent or to fail the handler's send");

        // Expected: the handler's send threw (so the handler cannot take the echo as delivered: event 7 with the reason),
        // and the echo was never counted as sent: the only text sent is the handler's "id:" announcement.
        var lost = Assert.Single(Lost(app, stuck.Id));
        Assert.Contains(lost.GetStructuredStateValue("Detail"), s_notSentReasons);
        Assert.Equal(1, Count(sent, "text"));
    }

    private static Task<PushApp> StartAsync() => PushApp.StartAlphaAsync(kestrel: true, o =>
    {
        o.SendTimeout = TimeSpan.FromSeconds(1);
        o.MaxPendingSendBytes = 4 * MiB;
        o.MaxMessageSize = 2 * MiB;
    });

    private static List<FakeLogRecord> NotSent(PushApp app, string connectionId) => Events(app, 21, connectionId);

    private static List<FakeLogRecord> Lost(PushApp app, string connectionId) => Events(app, 7, connectionId);

    private static List<FakeLogRecord> Events(PushApp app, int id, string connectionId) =>
        app.App.MiddlewareLogs.Where(r => r.Id.Id == id && r.GetStructuredStateValue("ConnectionId") == connectionId).ToList();

    private static long Count(MetricCollector<long> sent, string type) =>
        sent.GetMeasurementSnapshot().Where(m => (string?)m.Tags["websocket.message.type"] == type).Sum(m => m.Value);
}
