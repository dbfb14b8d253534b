using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using WebSocketEcho.Sample;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>Which server a measurement ran against.</summary>
internal enum ServerKind
{
    /// <summary>The documentation's loop (<c>baseline-server</c> mode of this app).</summary>
    Baseline,

    /// <summary>samples/WebSocketEcho.Sample: the middleware with <c>EchoMessageHandler</c>.</summary>
    Sample,
}

/// <summary>
/// A server under test, running as its own Release process (pinned with taskset when there are two cores). Every
/// process this class starts is killed when it is disposed, when the runner gets SIGINT/SIGTERM or exits, and, through
/// the parent-death signal (setpriv --pdeathsig), when the runner itself is killed.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> s_live = new();
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> s_spawnQueue = [];
    private static readonly Lazy<Thread> s_spawner = new(StartSpawnerThread);
    private static PosixSignalRegistration? s_sigint;
    private static PosixSignalRegistration? s_sigterm;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(string name, Process process, IPEndPoint endPoint)
    {
        Name = name;
        _process = process;
        EndPoint = endPoint;
    }

    /// <summary>Gets what the server is, for messages: "Baseline", "Sample", or the name given to <see cref="StartModeAsync"/>.</summary>
    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Gets the server's last lines of output (for diagnostics when something fails).</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    /// <summary>Kills every server still running (signal handlers and process exit call this).</summary>
    public static void KillAll()
    {
        foreach (var (pid, process) in s_live)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }

            s_live.TryRemove(pid, out _);
        }
    }

    public static void InstallCleanupHandlers()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        s_sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => KillAll());
        s_sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => KillAll());
    }

    /// <summary>Starts a server of <paramref name="kind"/> and waits until it answers an echo.</summary>
    public static Task<ServerProcess> StartAsync(ServerKind kind, BenchEnvironment environment, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        var (dll, workingDirectory, modeArgs) = kind switch
        {
            ServerKind.Baseline => (Path.Combine(AppContext.BaseDirectory, "WebSocketEcho.Benchmarks.dll"), AppContext.BaseDirectory, new[] { "baseline-server" }),
            _ when environment.Candidate != "sample" => (Path.Combine(AppContext.BaseDirectory, "WebSocketEcho.Benchmarks.dll"), AppContext.BaseDirectory, new[] { $"{environment.Candidate}-server" }),
            _ => (environment.SampleDll, Path.GetDirectoryName(environment.SampleDll)!, Array.Empty<string>()),
        };

        return LaunchAsync(kind.ToString(), port => DotnetCommand(environment, dll, modeArgs, port), workingDirectory, environment, variables, AnswersEchoAsync, "answer an echo", cancellationToken);
    }

    /// <summary>
    /// Starts this app in another server mode (<paramref name="modeArgs"/>, for example the fan-out servers), pinned and
    /// cleaned up like the echo servers, and waits until <paramref name="probe"/> succeeds against it.
    /// </summary>
    public static Task<ServerProcess> StartModeAsync(
        string name,
        IReadOnlyList<string> modeArgs,
        BenchEnvironment environment,
        IReadOnlyDictionary<string, string> variables,
        Func<IPEndPoint, CancellationToken, Task> probe,
        CancellationToken cancellationToken) =>
        LaunchAsync(name, port => DotnetCommand(environment, Path.Combine(AppContext.BaseDirectory, "WebSocketEcho.Benchmarks.dll"), [.. modeArgs], port), AppContext.BaseDirectory, environment, variables, probe, "get ready", cancellationToken);

    /// <summary>
    /// Starts another program on a free loopback port (the fan-out runner's redis-server), pinned to the server's core
    /// and cleaned up like the servers, and waits until <paramref name="probe"/> succeeds against it.
    /// </summary>
    public static Task<ServerProcess> StartProgramAsync(
        string name,
        Func<int, IEnumerable<string>> command,
        BenchEnvironment environment,
        Func<IPEndPoint, CancellationToken, Task> probe,
        CancellationToken cancellationToken) =>
        LaunchAsync(name, port => [.. command(port)], Path.GetTempPath(), environment, new Dictionary<string, string>(), probe, "get ready", cancellationToken);

    private static List<string> DotnetCommand(BenchEnvironment environment, string dll, string[] modeArgs, int port) =>
        [environment.DotnetHost, dll, .. modeArgs, "--urls", $"http://127.0.0.1:{port}"];

    private static async Task<ServerProcess> LaunchAsync(
        string serverName,
        Func<int, List<string>> program,
        string workingDirectory,
        BenchEnvironment environment,
        IReadOnlyDictionary<string, string> variables,
        Func<IPEndPoint, CancellationToken, Task> probe,
        string readiness,
        CancellationToken cancellationToken)
    {
        var port = FreePort();
        var info = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // setpriv: the server gets SIGKILL if the runner dies; taskset: the server's core. Both exec, so the pid stays.
        var command = new List<string>();
        if (environment.HasSetpriv)
        {
            command.AddRange(["setpriv", "--pdeathsig", "KILL", "--"]);
        }

        if (environment.ServerCore is { } core)
        {
            command.AddRange(["taskset", "-c", core.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        command.AddRange(program(port));
        info.FileName = command[0];
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // The load client's own socket setting (LoadRunner) is not the servers': they get only what the configuration says.
        info.Environment.Remove(InlineSocketCompletions.Variable);
        foreach (var (name, value) in variables)
        {
            info.Environment[name] = value;
        }

        var process = await SpawnAsync(info);
        var server = new ServerProcess(serverName, process, new IPEndPoint(IPAddress.Loopback, port));
        process.OutputDataReceived += (_, e) => server.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => server.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitUntilReadyAsync(probe, readiness, cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Reads the server's resident set size (VmRSS) in bytes.</summary>
    public long ReadRssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }

        throw new InvalidOperationException($"No VmRSS for process {Pid}.");
    }

    /// <summary>Reads VmRSS once it has settled: after 2 s, then every 0.5 s until two reads differ by at most 0.2% (10 s at most).</summary>
    public async Task<long> ReadSettledRssAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var previous = ReadRssBytes();
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(500, cancellationToken);
            var now = ReadRssBytes();
            if (Math.Abs(now - previous) <= previous / 500)
            {
                return now;
            }

            previous = now;
        }

        return previous;
    }

    /// <summary>Gets the server's CPU time so far (user + system), from /proc/&lt;pid&gt;/stat.</summary>
    public TimeSpan ReadCpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"warning: server {Name} (pid {Pid}) did not exit cleanly: {ex.Message}");
        }
        finally
        {
            s_live.TryRemove(_process.Id, out _);
            _process.Dispose();
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Starts processes from one long-lived thread: the parent-death signal fires when the thread that forked the
    /// child ends, so it must not be a thread-pool thread that may retire in the middle of a run.
    /// </summary>
    private static Task<Process> SpawnAsync(ProcessStartInfo info)
    {
        _ = s_spawner.Value;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        s_spawnQueue.Add((info, started));
        return started.Task;
    }

    private static Thread StartSpawnerThread()
    {
        var thread = new Thread(() =>
        {
            foreach (var (info, started) in s_spawnQueue.GetConsumingEnumerable())
            {
                try
                {
                    var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
                    s_live[process.Id] = process;
                    started.SetResult(process);
                }
                catch (Exception ex)
                {
                    started.SetException(ex);
                }
            }
        })
        {
            IsBackground = true,
            Name = "server spawner",
        };
        thread.Start();
        return thread;
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 50 && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>The echo servers' readiness: a connection whose first echo comes back right.</summary>
    private static async Task AnswersEchoAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var request = WireFrames.UpgradeRequest($"127.0.0.1:{endPoint.Port}", "/echo");
        var payload = WireFrames.TextPayload(8);
        var frame = WireFrames.Masked(WireFrames.Text, payload);
        byte[] expected = [.. "Received:  "u8, .. payload];
        using var connection = await LoadConnection.OpenAsync(endPoint, IPAddress.Any, request, 1024, cancellationToken);
        await connection.VerifyEchoAsync(frame, expected, cancellationToken);
        await connection.CloseAsync(WireFrames.NormalClose(), cancellationToken);
    }

    private async Task WaitUntilReadyAsync(Func<IPEndPoint, CancellationToken, Task> probe, string readiness, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The {Name} server exited with code {_process.ExitCode} during startup:{Environment.NewLine}{RecentOutput}");
            }

            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(10));
                await probe(EndPoint, attempt.Token);
                return;
            }
            catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
                await Task.Delay(100, cancellationToken);
            }
        }

        throw new TimeoutException($"The {Name} server did not {readiness} within 60 s ({last?.Message}):{Environment.NewLine}{RecentOutput}");
    }
}
