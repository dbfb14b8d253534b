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
    public async Task Cancelling_after_the_call_does_not_take_back_a_delivery_waiting_behind_another_send()
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: true, o => o.MaxPendingSendBytes = 4 * MiB);
        using var reader = await app.ConnectAsync("/ws");
        using var blocked = await app.ConnectSlowAsync();
        var push = app.Push<AlphaHandler>();

        // blocked's writer is busy with 1 MiB it cannot take yet; the next push to it waits behind that send.
        var blocker = await app.BlockWithBacklogAsync(blocked);
        using var cts = new CancellationTokenSource();
        Assert.Equal(2, (await push.All.SendTextAsync("queued before the cancel", cts.Token)).Reached);
        await cts.CancelAsync();

        Assert.Equal(2, (await push.All.SendTextAsync("after", Ct)).Reached);

        // Once the call has returned, its message goes out to everyone it was queued for: the cancel takes nothing back.
        await app.ExpectExactlyAsync<AlphaHandler>(reader, "queued before the cancel", "after");
        Assert.Equal(blocker, (await blocked.ReceiveAsync()).Payload);
        await app.ExpectExactlyAsync<AlphaHandler>(blocked, "queued before the cancel", "after");
        Assert.DoesNotContain(app.App.MiddlewareLogs, r => r.Id.Id == 21);
        Assert.Equal(2, app.Scope<AlphaHandler>().ConnectionCount);
    }
}
