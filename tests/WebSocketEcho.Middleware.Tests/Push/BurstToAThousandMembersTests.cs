using System.Diagnostics;
using System.Net.WebSockets;
using WebSocketEcho.Middleware.Tests.Chaos;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// The case on real Kestrel: a member that stops reading while 1,000 others receive a burst. They all get every
/// message, intact and in order, while it still reads nothing; it trips MaxPendingSendBytes and is closed with 1008.
/// Runs alone (2,000 sockets in one process).
/// </summary>
[Collection(ChaosSerial.Name)]
public sealed class BurstToAThousandMembersTests
{
    private const int Readers = 1000;
    private const int Burst = 64;
    private const int MessageSize = 1024;
    private const int Backlog = 256 * 1024;
    private const int QueuedBeforeLimit = 8;
    private const long MaxPendingSendBytes = Backlog + (QueuedBeforeLimit * MessageSize);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_member_that_stops_reading_while_1000_others_receive_a_burst_is_closed_with_1008_and_they_all_get_it_while_it_still_reads_nothing()
    {
        ProcessResources.EnsureOpenFiles(4 * Readers + 1024);
        await using var app = await PushApp.StartAlphaAsync(kestrel: true, o =>
        {
            // The stuck member's backlog plus 8 messages: it goes over on the 9th message of the burst. A reader
            // never comes near, even when it is scheduled late on a busy machine.
            o.MaxPendingSendBytes = MaxPendingSendBytes;

            // Nothing but MaxPendingSendBytes may end the stuck member while the readers finish: the test reads
            // its close frame at the end.
            o.SendTimeout = Timeout.InfiniteTimeSpan;
            o.CloseTimeout = TimeSpan.FromMinutes(2);
            o.KeepAliveInterval = TimeSpan.Zero;
        });
        var readers = await ConnectReadersAsync(app);
        using var stuck = await app.ConnectSlowAsync();
        var push = app.Push<AlphaHandler>();

        // It stopped reading while 256 KiB were on their way to it: more than the server's output buffer and the socket
        // buffers between them hold, so that send cannot finish, and every later push to it waits behind it.
        var backlog = await app.BlockWithBacklogAsync(stuck, Backlog);
        var receiving = readers.Select(reader => Task.Run(() => SlowMemberTests.ReceiveNumberedAsync(reader, Burst, MessageSize), Ct)).ToArray();

        var stopwatch = Stopwatch.StartNew();
        var reached = new int[Burst];
        for (var i = 0; i < Burst; i++)
        {
            reached[i] = (await push.All.SendBinaryAsync(SlowMemberTests.Numbered(i, MessageSize), Ct)).Reached;
        }

        var pushed = stopwatch.Elapsed;
        await Task.WhenAll(receiving).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        var received = stopwatch.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"{Readers} readers x {Burst} x {MessageSize} B: pushed in {pushed.TotalMilliseconds:0} ms, all received in {received.TotalMilliseconds:0} ms");

        // Every push reached all readers; the stuck member counted for the 8 messages that fit under MaxPendingSendBytes
        // behind its backlog, then never again.
        Assert.All(reached.Take(QueuedBeforeLimit), r => Assert.Equal(Readers + 1, r));
        Assert.All(reached.Skip(QueuedBeforeLimit), r => Assert.Equal(Readers, r));
        var slowConsumer = Assert.Single(app.App.MiddlewareLogs, r => r.Id.Id == 10);
        Assert.Equal(stuck.Id, slowConsumer.GetStructuredStateValue("ConnectionId"));
        Assert.Contains("MaxPendingSendBytes", slowConsumer.Message, StringComparison.Ordinal);

        // The stuck member read nothing so far. Now it reads: its backlog, intact, then the 1008 close. The 8 messages
        // queued behind the backlog when it went over the limit were dropped (event 21 each), never sent.
        Assert.Equal(backlog, (await stuck.ReceiveAsync(TimeSpan.FromSeconds(30))).Payload);
        var close = await stuck.ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketMessageType.Close, close.Type);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("Send buffer full", close.CloseDescription);
        await stuck.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        var closed = await app.App.WaitForConnectionClosedLogAsync(stuck.Id);
        Assert.Equal(nameof(DisconnectReason.SlowConsumer), closed.GetStructuredStateValue("DisconnectReason"));
        await PushApp.WaitUntilAsync(
            () => app.App.MiddlewareLogs.Count(r => r.Id.Id == 21 && r.GetStructuredStateValue("ConnectionId") == stuck.Id) == QueuedBeforeLimit,
            $"the {QueuedBeforeLimit} queued pushes to the stuck member to be reported as not sent");

        // Nobody else was closed, and every reader is still reachable.
        Assert.Equal(Readers, (await push.All.SendTextAsync("done", Ct)).Reached);
        Assert.DoesNotContain(app.App.MiddlewareLogs, r => r.Id.Id == 2 && r.GetStructuredStateValue("ConnectionId") != stuck.Id);
        foreach (var reader in readers)
        {
            reader.Dispose();
        }
    }

    private static async Task<Member[]> ConnectReadersAsync(PushApp app)
    {
        var members = new Member[Readers];
        await Parallel.ForAsync(0, Readers, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct }, async (i, _) =>
            members[i] = await app.ConnectAsync("/ws"));
        return members;
    }
}
