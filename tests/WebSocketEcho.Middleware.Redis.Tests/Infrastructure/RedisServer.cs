using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> owned by a test: a child process on a free loopback port with a temporary directory and no
/// persistence, waited for with PING, killed by its PID (SIGKILL, like a crash or a network cut) to simulate an outage,
/// and started again on the same port to recover. Without redis-server on PATH the test is skipped with the reason,
/// unless <c>WSE_REQUIRE_REDIS=1</c> (CI), which makes it a failure.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(15);
    private readonly string _directory;
    private Process? _process;

    private RedisServer(int port)
    {
        Port = port;
        _directory = Directory.CreateTempSubdirectory("wse-redis-").FullName;
    }

    public int Port { get; }

    /// <summary>Gets the StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server on a free port and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var server = Reserve();
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Picks a free port for a server that is not started yet (Redis down at the app's startup).</summary>
    public static RedisServer Reserve()
    {
        RequireRedisServer();
        return new RedisServer(FreePort());
    }

    /// <summary>Starts (or starts again, on the same port) and waits until the server answers PING.</summary>
    public async Task StartProcessAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("redis-server is running already.");
        }

        var startInfo = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (!await PingAsync())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {process.ExitCode} before answering PING on port {Port}.");
            }

            if (deadline.Elapsed > s_startTimeout)
            {
                throw new TimeoutException($"redis-server did not answer PING on port {Port} within {s_startTimeout}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Kills the server by its PID (SIGKILL): connections drop at once, nothing is flushed.</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }

            process.Dispose();
            _process = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans the temp folder eventually.
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>True when the server answers +PONG.</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void RequireRedisServer()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, "redis-server")));
        if (found)
        {
            return;
        }

        const string Missing = "redis-server is not on PATH (apt-get install -y redis-server)";
        if (Environment.GetEnvironmentVariable("WSE_REQUIRE_REDIS") == "1")
        {
            Assert.Fail($"WSE_REQUIRE_REDIS=1 but {Missing}.");
        }

        Assert.Skip($"Skipped: {Missing}. Set WSE_REQUIRE_REDIS=1 to make this a failure.");
    }
}
