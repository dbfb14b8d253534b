using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

public sealed class PushSmokeTests
{
    private sealed class RoomHandler(IWebSocketPush<RoomHandler> push) : IMessageHandler
    {
        public async ValueTask OnConnectedAsync(IWebSocketConnection connection)
        {
            await push.AddToGroupAsync(connection.Id, "room");
            await connection.SendTextAsync("id:" + connection.Id);
        }

        public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
            await push.Group("room").SendTextAsync(message.GetText());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_message_from_one_member_reaches_every_member_and_an_outside_push_reaches_all(bool kestrel)
    {
        Action<WebApplication> configure = a => a.UseWebSocketHandler<RoomHandler>("/room");
        Action<IServiceCollection> services = s => s.AddWebSocketHandler<RoomHandler>();
        await using var app = kestrel
            ? await TestApp.StartKestrelAsync(configure, services)
            : await TestApp.StartTestHostAsync(configure, services);

        async Task<WebSocket> Connect() => kestrel ? await app.ConnectClientAsync("/room") : await app.ConnectTestHostAsync("/room");
        using var a = await Connect();
        using var b = await Connect();
        var idA = (await a.ReceiveMessageAsync()).Text[3..];
        _ = await b.ReceiveMessageAsync();

        await a.SendTextAsync("hello", TestContext.Current.CancellationToken);
        Assert.Equal("hello", (await a.ReceiveMessageAsync()).Text);
        Assert.Equal("hello", (await b.ReceiveMessageAsync()).Text);

        var push = app.Services.GetRequiredService<IWebSocketPush<RoomHandler>>();
        var result = await push.All.Except(idA).SendTextAsync("not for a", TestContext.Current.CancellationToken);
        Assert.Equal(1, result.Reached);
        Assert.Equal(BackplaneDelivery.None, result.Backplane);
        Assert.Equal("not for a", (await b.ReceiveMessageAsync()).Text);

        Assert.Equal(1, (await push.Connection(idA).SendBinaryAsync(new byte[] { 1, 2, 3 }, TestContext.Current.CancellationToken)).Reached);
        Assert.Equal(new byte[] { 1, 2, 3 }, (await a.ReceiveMessageAsync()).Payload);
        Assert.Equal(0, (await push.Connection("nobody").SendTextAsync("x", TestContext.Current.CancellationToken)).Reached);
        Assert.Equal(0, (await push.Group("empty").SendTextAsync("x", TestContext.Current.CancellationToken)).Reached);
    }
}
