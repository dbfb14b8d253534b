using System.Buffers.Binary;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// A push completes when it is queued on each target's single writer, not when the slowest member has read it; each
/// delivery keeps its connection's limits, so a member that stopped reading is closed (1008, after SendTimeout here; see
/// <see cref="BurstToAThousandMembersTests"/> for MaxPendingSendBytes) and never holds up the others; and a member that
/// vanished never makes a push throw. Real Kestrel, with fixed small socket buffers (<see cref="SocketBuffers"/>).
/// </summary>
public sealed class SlowMemberTests
{
    private const int MiB = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_push_returns_while_a_member_is_not_reading_and_that_member_gets_it_intact_and_in_order_when_it_reads()
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: true, o => o.MaxPendingSendBytes = 4 * MiB);
        using var reader = await app.ConnectAsync("/ws");
        using var notReading = await app.ConnectSlowAsync();
        var push = app.Push<AlphaHandler>();

        // 1 MiB cannot fit in the few KiB of socket buffers between the server and the member that does not read, so its
        // delivery cannot have finished; the calls return anyway (a call that waited would never return here).
        var big = new byte[MiB];
        Random.Shared.NextBytes(big);
        Assert.Equal(2, (await push.All.SendBinaryAsync(big, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct)).Reached);
        Assert.Equal(2, (await push.All.SendTextAsync("after the big one", Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct)).Reached);

        Assert.Equal(big, (await reader.ReceiveAsync()).Payload);
        Assert.Equal("after the big one", await reader.ReceiveTextAsync());

        // Now it reads: everything arrives, intact and in order.
        Assert.Equal(big, (await notReading.ReceiveAsync()).Payload);
        Assert.Equal("after the big one", await notReading.ReceiveTextAsync());
        Assert.DoesNotContain(app.App.MiddlewareLogs, r => r.Id.Id is 10 or 21);
    }

    [Fact]
    public async Task A_member_that_stops_reading_is_closed_with_1008_after_SendTimeout_while_the_others_get_every_push_at_once()
    {
        const int Burst = 64;
        await using var app = await PushApp.StartAlphaAsync(kestrel: true, o =>
        {
            o.SendTimeout = TimeSpan.FromSeconds(3);
            o.MaxPendingSendBytes = 16 * MiB;
        });
        var readers = await app.ConnectManyAsync("/ws", 3);
        using var stuck = await app.ConnectSlowAsync();
        var push = app.Push<AlphaHandler>();

        // It stopped reading while 256 KiB were on their way to it: more than the server's output buffer and the socket
        // buffers between them hold, so that send cannot finish, and every later push to it waits behind it.
        await app.BlockWithBacklogAsync(stuck, 256 * 1024);
        var reached = new List<int>();
        for (var i = 0; i < Burst; i++)
        {
            reached.Add((await push.All.SendBinaryAsync(Numbered(i, 1024), Ct)).Reached);
        }

        // Every call counted all four (the stuck one's deliveries are queued) and returned long before SendTimeout.
        Assert.All(reached, r => Assert.Equal(4, r));
        Assert.DoesNotContain(app.App.MiddlewareLogs, r => r.Id.Id == 2 && r.GetStructuredStateValue("ConnectionId") == stuck.Id);
        await Task.WhenAll(readers.Select(reader => ReceiveNumberedAsync(reader, Burst, 1024)));

        var closed = await app.App.WaitForConnectionClosedLogAsync(stuck.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(nameof(DisconnectReason.SlowConsumer), closed.GetStructuredStateValue("DisconnectReason"));
        Assert.Equal("1008", closed.GetStructuredStateValue("CloseStatus"));
        Assert.Equal("Send timed out", closed.GetStructuredStateValue("CloseDescription"));
        Assert.Contains(app.App.MiddlewareLogs, r => r.Id.Id == 10 && r.GetStructuredStateValue("ConnectionId") == stuck.Id && r.Message.Contains("SendTimeout", StringComparison.Ordinal));

        // The whole burst, queued behind the backlog when it was dropped, was not sent: event 21 each, as each gets its turn
        // and fails. (The backlog itself, in flight at the abort, is reported as not sent too: see InFlightAtAbortTests.)
        await PushApp.WaitUntilAsync(
            () => app.App.MiddlewareLogs.Count(r => r.Id.Id == 21 && r.GetStructuredStateValue("ConnectionId") == stuck.Id) >= Burst,
            $"the {Burst} queued pushes to the dropped member to be reported as not sent");
        Assert.Equal(3, (await push.All.SendTextAsync("still here", Ct)).Reached);
        foreach (var reader in readers)
        {
            await app.ExpectExactlyAsync<AlphaHandler>(reader, "still here");
            reader.Dispose();
        }
    }

    [Fact]
    public async Task A_push_never_throws_because_a_member_vanished_and_counts_it_only_while_the_server_thinks_it_is_open()
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: true);
        var readers = await app.ConnectManyAsync("/ws", 3);
        var vanishing = await RawWebSocketClient.ConnectAsync(app.App.Port, "/ws", cancellationToken: Ct);
        var announced = await vanishing.ReadFrameAsync(cancellationToken: Ct);
        var vanishingId = announced.TextPayload[AlphaHandler.IdPrefix.Length..];
        var push = app.Push<AlphaHandler>();
        Assert.True(await push.AddToGroupAsync(vanishingId, "room", Ct));
        foreach (var reader in readers)
        {
            Assert.True(await push.AddToGroupAsync(reader.Id, "room", Ct));
        }

        // The peer resets TCP; pushes keep going while the server finds out. None throws.
        vanishing.Reset();
        await vanishing.DisposeAsync();
        var sent = 0;
        var closedLog = app.App.WaitForConnectionClosedLogAsync(vanishingId, TimeSpan.FromSeconds(30));
        while (!closedLog.IsCompleted)
        {
            var all = await push.All.SendTextAsync("n", Ct);
            var room = await push.Group("room").SendTextAsync("n", Ct);
            var one = await push.Connection(vanishingId).SendTextAsync("n", Ct);
            Assert.InRange(all.Reached, 3, 4);
            Assert.InRange(room.Reached, 3, 4);
            Assert.InRange(one.Reached, 0, 1);
            sent += 2;
            await Task.WhenAny(closedLog, Task.Delay(5, Ct));
        }

        await closedLog;
        Assert.Equal(3, (await push.All.SendTextAsync("n", Ct)).Reached);
        Assert.Equal(3, (await push.Group("room").SendTextAsync("n", Ct)).Reached);
        Assert.Equal(0, (await push.Connection(vanishingId).SendTextAsync("n", Ct)).Reached);
        Assert.False(await push.AddToGroupAsync(vanishingId, "room", Ct));
        sent += 2;
        foreach (var reader in readers)
        {
            await app.ExpectExactlyAsync<AlphaHandler>(reader, Enumerable.Repeat("n", sent).ToArray());
            reader.Dispose();
        }
    }

    /// <summary>A payload of <paramref name="size"/> bytes that starts with its number and is filled with the number's low byte.</summary>
    internal static byte[] Numbered(int number, int size)
    {
        var payload = new byte[size];
        payload.AsSpan().Fill((byte)number);
        BinaryPrimitives.WriteInt32BigEndian(payload, number);
        return payload;
    }

    /// <summary>Receives <paramref name="count"/> numbered payloads and checks each is intact and they come in order.</summary>
    internal static async Task ReceiveNumberedAsync(Member member, int count, int size)
    {
        for (var i = 0; i < count; i++)
        {
            var message = await member.ReceiveAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Numbered(i, size), message.Payload);
        }
    }
}
