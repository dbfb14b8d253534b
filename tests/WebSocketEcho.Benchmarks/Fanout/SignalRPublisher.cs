using Microsoft.AspNetCore.SignalR;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>Publishes through SignalR's <see cref="IHubContext{THub}"/>, as an app publishes from outside a hub.</summary>
internal sealed class SignalRPublisher(IHubContext<FanoutHub> hub) : IFanoutPublisher
{
    public ValueTask ToAllAsync(string text) => new(hub.Clients.All.SendAsync(FanoutSettings.Method, text));

    public ValueTask ToGroupAsync(string group, string text) => new(hub.Clients.Group(group).SendAsync(FanoutSettings.Method, text));
}
