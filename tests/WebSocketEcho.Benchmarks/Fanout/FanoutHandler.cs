using WebSocketEcho.Middleware;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The middleware side of the fan-out server: a connection joins the groups its URL names (<c>?groups=a,b</c>) and is
/// told <c>ready</c>; it receives pushes and sends nothing the server needs to answer.
/// </summary>
internal sealed class FanoutHandler(IWebSocketPush<FanoutHandler> push) : IMessageHandler
{
    public async ValueTask OnConnectedAsync(IWebSocketConnection connection)
    {
        foreach (var group in FanoutGroups.FromQuery(connection.HttpContext.Request.Query))
        {
            await push.AddToGroupAsync(connection.Id, group);
        }

        await connection.SendTextAsync(FanoutSettings.Ready);
    }

    public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) => ValueTask.CompletedTask;
}
