using System.Buffers;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The open connections of one endpoint: enforces MaxConnections, drives the heartbeat that applies the idle,
/// send and close timeouts, and closes everything with 1001 when the host stops.
/// </summary>
internal sealed class ConnectionRegistry : IDisposable
{
    private readonly EndpointContext _endpoint;
    private readonly HashSet<WebSocketConnection> _connections = [];
    private readonly Lock _lock = new();
    private Timer? _heartbeat;
    private int _reserved;
    private bool _stopping;
    private bool _disposed;

    public ConnectionRegistry(EndpointContext endpoint) => _endpoint = endpoint;

    /// <summary>Gets a value indicating whether the host is stopping; new connections are refused.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping);

    /// <summary>Gets the number of open connections.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Reserves a place for a connection about to be accepted; false when the endpoint is full.</summary>
    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _reserved) <= _endpoint.Settings.MaxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _reserved);
        return false;
    }

    /// <summary>Gives back a place reserved with <see cref="TryReserve"/> whose handshake failed.</summary>
    public void Unreserve() => Interlocked.Decrement(ref _reserved);

    /// <summary>Adds an accepted connection (its place was reserved). Returns false if the host began stopping meanwhile.</summary>
    public bool Add(WebSocketConnection connection)
    {
        lock (_lock)
        {
            _connections.Add(connection);
            if (_heartbeat is null && !_disposed)
            {
                var period = _endpoint.Settings.HeartbeatPeriod;
                _heartbeat = new Timer(static state => ((ConnectionRegistry)state!).OnHeartbeat(), this, period, period);
            }

            return !_stopping;
        }
    }

    /// <summary>Removes an ended connection and frees its place.</summary>
    public void Remove(WebSocketConnection connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }

        Interlocked.Decrement(ref _reserved);
    }

    /// <summary>Host is stopping: refuse new connections and close every open one with 1001 (Going Away).</summary>
    public void BeginShutdown()
    {
        WebSocketConnection[] open;
        lock (_lock)
        {
            _stopping = true;
            open = [.. _connections];
        }

        if (open.Length > 0)
        {
            Log.ShuttingDown(_endpoint.Logger, open.Length, _endpoint.Name);
        }

        foreach (var connection in open)
        {
            connection.Closing.StartForShutdown();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _heartbeat?.Dispose();
            _heartbeat = null;
        }
    }

    private void OnHeartbeat()
    {
        WebSocketConnection[] open;
        int count;
        lock (_lock)
        {
            count = _connections.Count;
            if (count == 0)
            {
                return;
            }

            open = ArrayPool<WebSocketConnection>.Shared.Rent(count);
            _connections.CopyTo(open);
        }

        // Act outside the lock: aborting a connection can run its pump's continuation inline, which calls Remove.
        try
        {
            var now = Environment.TickCount64;
            for (var i = 0; i < count; i++)
            {
                open[i].Timeouts.OnHeartbeat(now);
            }
        }
        finally
        {
            ArrayPool<WebSocketConnection>.Shared.Return(open, clearArray: true);
        }
    }
}
