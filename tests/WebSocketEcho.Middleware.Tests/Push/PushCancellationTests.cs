namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Cancellation: a token cancelled before the call makes it throw <see cref="OperationCanceledException"/> before anything
/// is sent or changed; cancelling after the call cancels the deliveries still waiting behind another send on a connection
/// (logged as event 21), and nothing else: deliveries already handed to the network go out, and the connection stays open.
/// </summary>
public sealed class PushCancellationTests
{
    private const int MiB = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_cancelled_token_makes_every_send_and_group_change_throw_before_sending_or_changing_anything(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        using var a = await app.ConnectAsync("/ws");
        using var b = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();
        Assert.True(await push.AddToGroupAsync(b.Id, "room", Ct));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.All.SendTextAsync("text", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.All.SendTextAsync("utf8"u8.ToArray(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.Connection(a.Id).SendBinaryAsync(new byte[] { 1 }, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.Group("room").SendTextAsync("room", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.AddToGroupAsync(a.Id, "room", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.RemoveFromGroupAsync(b.Id, "room", cancelled.Token));

        // Nothing was sent and membership did not change: a is not in the room, b still is.
        Assert.Equal(1, (await push.Group("room").SendTextAsync("room", Ct)).Reached);
        await app.ExpectExactlyAsync<AlphaHandler>(a);
        await app.ExpectExactlyAsync<AlphaHandler>(b, "room");
    }

    [Fact]
    public async Task Cancelling_after_the_call_cancels_the_delivery_waiting_behind_another_send_and_keeps_the_connection_open()
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: true, o => o.MaxPendingSendBytes = 4 * MiB);
        using var reader = await app.ConnectAsync("/ws");
        using var blocked = await app.ConnectSlowAsync();
        var push = app.Push<AlphaHandler>();

        // blocked's writer is busy with 1 MiB it cannot take yet; the next push to it waits behind that send.
        var blocker = await app.BlockWithBacklogAsync(blocked);
        using var cts = new CancellationTokenSource();
        Assert.Equal(2, (await push.All.SendTextAsync("cancelled while waiting", cts.Token)).Reached);
        await cts.CancelAsync();
        var notSent = await app.App.WaitForMiddlewareLogAsync(r => r.Id.Id == 21 && r.GetStructuredStateValue("ConnectionId") == blocked.Id);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, notSent.Level);

        Assert.Equal(2, (await push.All.SendTextAsync("after", Ct)).Reached);

        // The reader's delivery was not waiting: it went out. The blocked member gets the big one, then only "after".
        await app.ExpectExactlyAsync<AlphaHandler>(reader, "cancelled while waiting", "after");
        Assert.Equal(blocker, (await blocked.ReceiveAsync()).Payload);
        await app.ExpectExactlyAsync<AlphaHandler>(blocked, "after");
        Assert.Equal(2, app.Scope<AlphaHandler>().ConnectionCount);
    }
}
