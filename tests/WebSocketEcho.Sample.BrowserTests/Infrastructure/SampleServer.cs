using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// The real sample site, run as its own process exactly as a user runs it (<c>dotnet WebSocketEcho.Sample.dll</c>,
/// content root = the sample folder, its appsettings.json) on loopback ports the OS chooses. The addresses are read
/// from Kestrel's "Now listening on:" lines, up to "Application started". Dispose kills the process if it is still
/// running; so does the end of the test process, in case a test run is cut short.
/// </summary>
internal sealed partial class SampleServer : IAsyncDisposable
{
    private const int MaxOutputLines = 400;

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<Uri> _addresses = new();
    private readonly TaskCompletionSource<IReadOnlyList<Uri>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SampleServer(Process process) => _process = process;

    /// <summary>The <c>--urls</c> tests give unless they say otherwise: one http address on a port the OS picks.</summary>
    public const string LoopbackHttp = "http://127.0.0.1:0";

    /// <summary>Gets every address the sample listens on, in Kestrel's order.</summary>
    public IReadOnlyList<Uri> Addresses => _listening.Task.IsCompletedSuccessfully
        ? _listening.Task.Result
        : throw new InvalidOperationException("The sample is not listening.");

    /// <summary>Gets the site's http address, for example <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseAddress => Addresses.First(a => a.Scheme == Uri.UriSchemeHttp);

    /// <summary>Gets the site's https address, or null when it serves http only.</summary>
    public Uri? HttpsAddress => Addresses.FirstOrDefault(a => a.Scheme == Uri.UriSchemeHttps);

    /// <summary>Gets the echo socket's address, <c>ws://127.0.0.1:port/echo</c>.</summary>
    public Uri EchoUri => new UriBuilder(BaseAddress) { Scheme = "ws", Path = "/echo" }.Uri;

    /// <summary>Gets the echo socket's TLS address, <c>wss://127.0.0.1:port/echo</c> (the sample must serve https).</summary>
    public Uri SecureEchoUri => new UriBuilder(HttpsAddress ?? throw new InvalidOperationException("The sample serves no https.")) { Scheme = "wss", Path = "/echo" }.Uri;

    /// <summary>Gets the exit code once the process has ended.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Gets the last lines the sample wrote (stdout and stderr), for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts the sample and waits until Kestrel listens.</summary>
    /// <param name="cancellationToken">Stops waiting for the sample.</param>
    /// <param name="environment">Extra environment variables (configuration such as <c>Echo__Prefix</c>, runtime switches).</param>
    /// <param name="urls">
    /// The operator's <c>--urls</c>; null lets the sample choose from its <c>DefaultUrls</c> section (http, and https
    /// when it finds a certificate), which this method points at ports the OS picks unless the environment says otherwise.
    /// </param>
    public static async Task<SampleServer> StartAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null, string? urls = LoopbackHttp)
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
        if (urls is not null)
        {
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(urls);
        }

        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(SampleLocation.ContentRoot);
        // As deployed: Production settings, wwwroot served from the content root (not through static web assets).
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        // The sample decides its socket scheduling from appsettings.json unless a test says otherwise.
        start.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        // Where to listen is the test's decision alone; never the sample's fixed ports 1234 and 1235.
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS" })
        {
            start.Environment.Remove(inherited);
        }

        start.Environment["DefaultUrls__Http"] = LoopbackHttp;
        start.Environment["DefaultUrls__Https"] = "https://127.0.0.1:0";
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

        ChildProcesses.Track(process);
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
            ChildProcesses.KillNow(_process);
            throw new InvalidOperationException($"The sample did not exit within {s_stopTimeout.TotalSeconds} s of SIGTERM; it was killed. Output:{Environment.NewLine}{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        ChildProcesses.KillNow(_process);
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

        ChildProcesses.Untrack(_process);
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (?<address>https?://[^\s""]+)")]
    private static partial Regex ListeningLine();

    // Logged once Kestrel listens on every address.
    private const string StartedLine = "Application started.";

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
            _addresses.Enqueue(new Uri(match.Groups["address"].Value));
        }
        else if (line.Contains(StartedLine, StringComparison.Ordinal))
        {
            _listening.TrySetResult([.. _addresses]);
        }
    }
}
