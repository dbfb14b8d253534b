using WebSocketEcho.Middleware;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>Publishes through the middleware's <see cref="IWebSocketPush{THandler}"/>.</summary>
internal sealed class MiddlewarePublisher(IWebSocketPush<FanoutHandler> push) : IFanoutPublisher
{
    public ValueTask ToAllAsync(string text) => Complete(push.All.SendTextAsync(text));

    public ValueTask ToGroupAsync(string group, string text) => Complete(push.Group(group).SendTextAsync(text));

    private static ValueTask Complete(ValueTask<PushResult> send)
    {
        if (send.IsCompletedSuccessfully)
        {
            _ = send.Result;
            return default;
        }

        return AwaitAsync(send);
    }

    private static async ValueTask AwaitAsync(ValueTask<PushResult> send) => await send;
}
