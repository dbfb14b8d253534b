using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using WebSocketEcho.Middleware.Tests.Tls;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// A real nginx (Debian's package) in front of the sample, as a child process of the test: its configuration
/// (<see cref="NginxSite"/>), certificate, pid, logs and temp folders in a folder of its own, TLS on a free loopback port.
/// Dispose stops it by PID (SIGTERM, then SIGKILL) and deletes the folder. Without nginx a test skips, or fails when
/// <c>WSE_REQUIRE_NGINX=1</c> (CI).
/// </summary>
internal sealed class NginxServer : IAsyncDisposable
{
    public const string VariableName = "WSE_REQUIRE_NGINX";

    private const string NotFoundMessage =
        "nginx not found (/usr/sbin/nginx or PATH); install it with: sudo apt-get install -y nginx (the tests start their own nginx; no system service is needed)";

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly TempFolder _folder;
    private readonly ConcurrentQueue<string> _output;

    private NginxServer(Process process, TempFolder folder, ConcurrentQueue<string> output, int port)
    {
        _process = process;
        _folder = folder;
        _output = output;
        BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>Gets nginx's address, <c>https://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the address of <paramref name="path"/> through nginx as a WebSocket URL, <c>wss://127.0.0.1:port/path</c>.</summary>
    public Uri WebSocketUri(string path) => new UriBuilder(BaseAddress) { Scheme = "wss", Path = path }.Uri;

    /// <summary>Gets nginx's error log so far (level info: it names every timeout and closed connection), and anything it printed.</summary>
    public string ErrorLog => ReadLog("error.log") + (_output.IsEmpty ? string.Empty : Environment.NewLine + string.Join(Environment.NewLine, _output));

    /// <summary>Gets nginx's access log so far (an upgraded request is logged when its connection ends).</summary>
    public string AccessLog => ReadLog("access.log");

    /// <summary>Finds nginx: Debian's <c>/usr/sbin/nginx</c> (not on a normal user's PATH), else the first on PATH.</summary>
    public static string? FindInstalled() => Find("/usr/sbin" + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"));

    /// <summary>Gets the first executable <c>nginx</c> in the directories of <paramref name="searchPath"/> (a PATH value), or null.</summary>
    public static string? Find(string? searchPath) =>
        (searchPath ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(directory => Path.Combine(directory, "nginx"))
            .FirstOrDefault(ChromiumLocator.IsExecutableFile);

    /// <summary>Starts nginx for <paramref name="site"/> with <paramref name="certificate"/> and waits until it accepts connections.</summary>
    public static async Task<NginxServer> StartAsync(NginxSite site, TestCertificate certificate, CancellationToken cancellationToken)
    {
        var executable = FindInstalled();
        if (executable is null)
        {
            ToolRequirement.Unavailable(VariableName, "nginx", NotFoundMessage);
        }

        // A port taken between choosing it and nginx binding it is retried with another.
        for (var attempt = 1; ; attempt++)
        {
            var folder = new TempFolder();
            try
            {
                if (!OperatingSystem.IsWindows())
                {
                    // Started as root, nginx runs its workers as "nobody": they must reach the temp folders inside.
                    File.SetUnixFileMode(folder.Path, (UnixFileMode)0b111_101_101);
                }

                certificate.WritePem(folder.File("server.crt"), folder.File("server.key"));
                var port = FreePort();
                await File.WriteAllTextAsync(folder.File("nginx.conf"), site.Render(folder.Path, port), cancellationToken);
                var server = await TryStartAsync(executable!, folder, port, cancellationToken);
                if (server is not null)
                {
                    return server;
                }

                var errors = File.Exists(folder.File("error.log")) ? await File.ReadAllTextAsync(folder.File("error.log"), cancellationToken) : "(no error.log)";
                if (!errors.Contains("Address already in use", StringComparison.Ordinal) || attempt == 3)
                {
                    throw new InvalidOperationException($"nginx did not start on 127.0.0.1:{port}. nginx.conf:{Environment.NewLine}{site.Render(folder.Path, port)}{Environment.NewLine}error.log:{Environment.NewLine}{errors}");
                }
            }
            catch
            {
                folder.Dispose();
                throw;
            }

            folder.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM: nginx's fast shutdown; the master stops its workers and exits.
                ProcessTermination.RequestStop(_process);
            }

            await _process.WaitForExitAsync().WaitAsync(s_stopTimeout);
        }
        catch (TimeoutException)
        {
            ChildProcesses.KillNow(_process);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        ChildProcesses.Untrack(_process);
        _process.Dispose();
        _folder.Dispose();
    }

    /// <summary>Starts nginx and waits for its port; null when it exited first (its error.log says why).</summary>
    private static async Task<NginxServer?> TryStartAsync(string executable, TempFolder folder, int port, CancellationToken cancellationToken)
    {
        // -p and -e keep nginx away from /var/log/nginx and /etc/nginx even before it reads the configuration.
        var start = new ProcessStartInfo(executable, ["-p", folder.Path + "/", "-c", folder.File("nginx.conf"), "-e", folder.File("error.log")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(output, e.Data);
        process.ErrorDataReceived += (_, e) => Remember(output, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {executable}.");
        }

        ChildProcesses.Track(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NginxServer(process, folder, output, port);

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < s_startTimeout)
        {
            if (process.HasExited)
            {
                ChildProcesses.Untrack(process);
                process.Dispose();
                return null;
            }

            if (await AcceptsAsync(port, cancellationToken))
            {
                return server;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }

        var log = server.ErrorLog;
        await server.DisposeAsync();
        throw new InvalidOperationException($"nginx did not accept connections on 127.0.0.1:{port} within {s_startTimeout.TotalSeconds} s. Output: {string.Join(Environment.NewLine, output)}{Environment.NewLine}error.log:{Environment.NewLine}{log}");
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken cancellationToken)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static void Remember(ConcurrentQueue<string> output, string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    private string ReadLog(string name)
    {
        var path = _folder.File(name);
        if (!File.Exists(path))
        {
            return string.Empty;
        }

        // nginx keeps the file open for writing; share it.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
