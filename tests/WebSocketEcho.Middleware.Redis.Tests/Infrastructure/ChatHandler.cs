namespace WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

/// <summary>
/// The handler of the test apps. On connect it joins the groups named in the query (<c>?groups=a,b</c>) and sends
/// <c>id:{connection id}</c> (so a client knows it is registered and subscribed); every text message it receives is
/// pushed to all connections of all instances.
/// </summary>
internal sealed class ChatHandler(IWebSocketPush<ChatHandler> push) : IMessageHandler
{
    public async ValueTask OnConnectedAsync(IWebSocketConnection connection)
    {
        var groups = connection.HttpContext.Request.Query["groups"].ToString();
        foreach (var group in groups.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            await push.AddToGroupAsync(connection.Id, group);
        }

        await connection.SendTextAsync("id:" + connection.Id);
    }

    public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
        await push.All.SendTextAsync(message.GetText());
}

/// <summary>The user of a test connection: the <c>user</c> query parameter.</summary>
internal sealed class QueryUserIdProvider : IWebSocketUserIdProvider
{
    public string? GetUserId(IWebSocketConnection connection) => connection.HttpContext.Request.Query["user"];
}
