using System.Net;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The receiving connections of one run, spread over the server instances (one today; two behind a backplane later),
/// each in its five groups. Sends the SignalR clients' hub pings every 15 s. Disposing closes them all.
/// </summary>
internal sealed class FanoutClients : IDisposable
{
    private readonly List<FanoutConnection> _connections;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pings;

    private FanoutClients(List<FanoutConnection> connections, FanoutServerKind kind)
    {
        _connections = connections;
        _pings = kind == FanoutServerKind.SignalR ? PingAsync(_stop.Token) : Task.CompletedTask;
    }

    public int Count => _connections.Count;

    /// <summary>Gets how many connections the server has dropped (or that failed otherwise).</summary>
    public int Dropped => _connections.Count(c => !c.IsOpen);

    /// <summary>
    /// Opens <paramref name="count"/> connections (<see cref="ParallelOpen"/>), connection <c>i</c> to instance
    /// <c>i % instances</c>, from the client's source addresses in turn; each is ready (in its groups) when this returns.
    /// </summary>
    public static async Task<FanoutClients> OpenAsync(
        FanoutServerKind kind,
        IReadOnlyList<IPEndPoint> instances,
        IReadOnlyList<IPAddress> sources,
        int count,
        DeliveryTally tally,
        long firstSequence,
        CancellationToken cancellationToken)
    {
        var opened = await ParallelOpen.OpenAsync(
            count,
            (i, timeout) => FanoutConnection.OpenAsync(
                kind, instances[i % instances.Count], sources[i % sources.Count], FanoutSettings.Path + FanoutGroups.QueryFor(i), tally, i, firstSequence, timeout),
            cancellationToken);
        return new FanoutClients([.. opened], kind);
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        _pings.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(FanoutSettings.SignalRClientPingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var connection in _connections)
                {
                    connection.SendHubPing();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
