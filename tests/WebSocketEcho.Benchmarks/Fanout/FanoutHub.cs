using Microsoft.AspNetCore.SignalR;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The SignalR side of the fan-out server: a connection joins the groups its URL names (<c>?groups=a,b</c>) and is
/// told <c>ready</c> (an invocation without arguments); it has no methods of its own.
/// </summary>
internal sealed class FanoutHub : Hub
{
    public override async Task OnConnectedAsync()
    {
        var query = Context.GetHttpContext()?.Request.Query ?? throw new InvalidOperationException("No HTTP context.");
        foreach (var group in FanoutGroups.FromQuery(query))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, group);
        }

        await Clients.Caller.SendAsync(FanoutSettings.Ready);
    }
}
