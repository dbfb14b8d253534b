using System.Globalization;
using System.Net;
using System.Net.Sockets;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The real Debian <c>redis-server</c> the two instances of a scaled-out fan-out run share (<c>fanout --redis</c>): a
/// child process on a free loopback port, no persistence, its own temporary directory, pinned to the servers' core and
/// stopped by its PID with the run (<see cref="ServerProcess"/>).
/// </summary>
internal sealed class FanoutRedis : IAsyncDisposable
{
    private readonly ServerProcess _process;
    private readonly string _directory;

    private FanoutRedis(ServerProcess process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    /// <summary>Gets the StackExchange.Redis configuration string both kinds of server connect with.</summary>
    public string Configuration => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_process.EndPoint.Port}");

    /// <summary>Gets the redis-server process (for its CPU time).</summary>
    public ServerProcess Process => _process;

    public static async Task<FanoutRedis> StartAsync(BenchEnvironment environment, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("wse-fanout-redis-").FullName;
        try
        {
            var process = await ServerProcess.StartProgramAsync(
                "redis-server",
                port => ["redis-server", "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory],
                environment,
                PingAsync,
                cancellationToken);
            return new FanoutRedis(process, directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans the temp folder eventually.
        }
    }

    /// <summary>The readiness probe: <c>PING</c> answered with <c>+PONG</c>.</summary>
    private static async Task PingAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endPoint, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[16];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        if (!buffer.AsSpan(0, read).StartsWith("+PONG"u8))
        {
            throw new InvalidDataException("redis-server did not answer PING with +PONG.");
        }
    }
}
