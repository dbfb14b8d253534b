using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// The real sample site, run as its own process exactly as a user runs it (<c>dotnet WebSocketEcho.Sample.dll</c>,
/// content root = the sample folder, its appsettings.json) on a loopback port the OS chooses. The address is read
/// from Kestrel's "Now listening on:" line. Dispose kills the process if it is still running; so does the end of
/// the test process, in case a test run is cut short.
/// </summary>
internal sealed partial class SampleServer : IAsyncDisposable
{
    private const int MaxOutputLines = 400;

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<SampleServer, byte> s_running = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    static SampleServer() => AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
    {
        foreach (var server in s_running.Keys)
        {
            server.KillNow();
        }
    };

    private SampleServer(Process process) => _process = process;

    /// <summary>Gets the site's address, for example <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseAddress => _listening.Task.IsCompletedSuccessfully
        ? _listening.Task.Result
        : throw new InvalidOperationException("The sample is not listening.");

    /// <summary>Gets the echo socket's address, <c>ws://127.0.0.1:port/echo</c>.</summary>
    public Uri EchoUri => new UriBuilder(BaseAddress) { Scheme = "ws", Path = "/echo" }.Uri;

    /// <summary>Gets the exit code once the process has ended.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Gets the last lines the sample wrote (stdout and stderr), for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts the sample and waits until Kestrel listens.</summary>
    /// <param name="cancellationToken">Stops waiting for the sample.</param>
    /// <param name="environment">Extra environment variables (configuration such as <c>Echo__Prefix</c>, runtime switches).</param>
    public static async Task<SampleServer> StartAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        SampleLocation.EnsureExists();

        var start = new ProcessStartInfo(DotNetHost.Path)
        {
            WorkingDirectory = SampleLocation.ContentRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SampleLocation.AssemblyPath);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(SampleLocation.ContentRoot);
        // As deployed: Production settings, wwwroot served from the content root (not through static web assets).
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        // The sample decides its socket scheduling from appsettings.json unless a test says otherwise.
        start.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new SampleServer(process);
        process.OutputDataReceived += (_, e) => server.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnOutput(e.Data);
        process.Exited += (_, _) => server._listening.TrySetException(
            new InvalidOperationException($"The sample exited with code {process.ExitCode} before it listened."));

        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {DotNetHost.Path}.");
        }

        s_running.TryAdd(server, 0);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server._listening.Task.WaitAsync(s_startTimeout, cancellationToken);
            return server;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException(
                $"The sample did not start ({ex.Message}). Command: {DotNetHost.Path} {string.Join(' ', start.ArgumentList)}{Environment.NewLine}Output:{Environment.NewLine}{server.Output}",
                ex);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the sample gracefully (SIGTERM, like Ctrl+C or systemd) and returns its exit code.</summary>
    public async Task<int> StopAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            ProcessTermination.RequestStop(_process);
        }

        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(s_stopTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            KillNow();
            throw new InvalidOperationException($"The sample did not exit within {s_stopTimeout.TotalSeconds} s of SIGTERM; it was killed. Output:{Environment.NewLine}{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        KillNow();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(s_stopTimeout);
        }
        catch (TimeoutException)
        {
            // Killed but not reaped in time: nothing more a test can do.
        }
        catch (InvalidOperationException)
        {
            // The process never started.
        }

        s_running.TryRemove(this, out _);
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (?<address>https?://[^\s""]+)")]
    private static partial Regex ListeningLine();

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > MaxOutputLines && _output.TryDequeue(out _))
        {
        }

        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups["address"].Value));
        }
    }

    private void KillNow()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Not started, or already gone.
        }
    }
}
