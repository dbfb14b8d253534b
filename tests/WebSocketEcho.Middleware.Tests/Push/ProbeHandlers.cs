using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// A handler for push tests: it tells each client its connection id as the first message (<c>id:</c> + id), then answers
/// text commands, reaching the push service of its own handler type through the upgrade request's services (so it works
/// as a handler instance and as a DI-activated handler alike):
/// <c>join:g</c> and <c>leave:g</c> change the connection's groups from the handler and reply <c>joined:g:True</c> /
/// <c>left:g:True</c>; <c>room:g:text</c> pushes <c>text</c> to group g except the sender and replies <c>sent:n</c> (n reached);
/// <c>pushclose:text</c> pushes <c>text</c> to the sender and at once closes it (1000, "bye");
/// anything else is echoed.
/// </summary>
/// <typeparam name="TSelf">The concrete handler type: the push scope.</typeparam>
internal abstract class ProbeHandler<TSelf> : IMessageHandler
    where TSelf : ProbeHandler<TSelf>
{
    public const string IdPrefix = "id:";

    public virtual async ValueTask OnConnectedAsync(IWebSocketConnection connection) =>
        await connection.SendTextAsync(IdPrefix + connection.Id);

    public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
    {
        var text = message.GetText();
        var push = connection.HttpContext.RequestServices.GetRequiredService<IWebSocketPush<TSelf>>();
        var parts = text.Split(':', 3);
        switch (parts[0])
        {
            case "join" when parts.Length == 2:
                await connection.SendTextAsync($"joined:{parts[1]}:{await push.AddToGroupAsync(connection.Id, parts[1])}");
                break;
            case "leave" when parts.Length == 2:
                await connection.SendTextAsync($"left:{parts[1]}:{await push.RemoveFromGroupAsync(connection.Id, parts[1])}");
                break;
            case "room" when parts.Length == 3:
                var result = await push.Group(parts[1]).Except(connection.Id).SendTextAsync(parts[2]);
                await connection.SendTextAsync("sent:" + result.Reached.ToString(CultureInfo.InvariantCulture));
                break;
            case "pushclose" when parts.Length == 2:
                // A push to itself, then at once the close: the push was accepted first, so it goes out before the close frame.
                await push.Connection(connection.Id).SendTextAsync(parts[1]);
                await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                break;
            default:
                await connection.SendTextAsync(text);
                break;
        }
    }
}

/// <summary>A probe handler type of its own: one push scope.</summary>
internal sealed class AlphaHandler : ProbeHandler<AlphaHandler>;

/// <summary>Another probe handler type: a push scope separate from <see cref="AlphaHandler"/>'s.</summary>
internal sealed class BetaHandler : ProbeHandler<BetaHandler>;

/// <summary>A handler type no endpoint ever serves.</summary>
internal sealed class NeverMappedHandler : ProbeHandler<NeverMappedHandler>;
