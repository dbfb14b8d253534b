using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>Where the servers are, which cores they and the client get, and a description of the machine for the report.</summary>
internal sealed class BenchEnvironment
{
    private BenchEnvironment(string sampleDll, string dotnetHost, bool hasSetpriv, int? serverCore, int? clientCore, string repositoryRoot)
    {
        SampleDll = sampleDll;
        DotnetHost = dotnetHost;
        HasSetpriv = hasSetpriv;
        ServerCore = serverCore;
        ClientCore = clientCore;
        RepositoryRoot = repositoryRoot;
        SourceAddresses = [.. Enumerable.Range(0, 16).Select(i => new IPAddress([127, 0, 0, (byte)(10 + i)]))];
    }

    public string SampleDll { get; }

    public string DotnetHost { get; }

    public bool HasSetpriv { get; }

    public int? ServerCore { get; }

    public int? ClientCore { get; }

    public string RepositoryRoot { get; }

    /// <summary>Gets the client's source addresses (127.0.0.10-25): each has its own ephemeral port range.</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; }

    public string Configuration { get; private init; } = "Release";

    /// <summary>Gets or sets which server stands for <see cref="ServerKind.Sample"/>: "sample", "lean" or "lean-direct" (calibration), or "garble" (self-test).</summary>
    public string Candidate { get; set; } = "sample";

    public static BenchEnvironment Discover()
    {
        // bin/<Configuration>/<tfm>/ of this project; the sample is built next to it by the project reference.
        var baseDirectory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var tfm = Path.GetFileName(baseDirectory);
        var configuration = Path.GetFileName(Path.GetDirectoryName(baseDirectory)!);
        var root = FindRepositoryRoot(baseDirectory);
        var sampleDll = Path.Combine(root, "samples", "WebSocketEcho.Sample", "bin", configuration, tfm, "WebSocketEcho.Sample.dll");
        if (!File.Exists(sampleDll))
        {
            throw new FileNotFoundException($"The sample is not built: {sampleDll}. Run with 'dotnet run -c Release --project tests/WebSocketEcho.Benchmarks'.");
        }

        var cores = CpuAffinity.AvailableCores();
        int? serverCore = null, clientCore = null;
        if (cores.Count >= 2 && CpuAffinity.HasTaskset())
        {
            serverCore = cores[0];
            clientCore = cores[1];
        }

        return new BenchEnvironment(sampleDll, FindDotnetHost(), File.Exists("/usr/bin/setpriv"), serverCore, clientCore, root)
        {
            Configuration = configuration,
        };
    }

    /// <summary>
    /// What a load runner does before its first socket: completes this process's socket operations inline (the client
    /// then needs less of its core than the server it measures; the servers do not inherit it, see ServerProcess),
    /// finds the builds, warns about a non-Release build, installs the servers' cleanup, raises the open-file limit
    /// for <paramref name="connections"/>, pins this process to the client's core, and prints the machine.
    /// </summary>
    public static BenchEnvironment PrepareLoadClient(ulong connections)
    {
        Environment.SetEnvironmentVariable(WebSocketEcho.Sample.InlineSocketCompletions.Variable, "1");
        var environment = Discover();
        if (!string.Equals(environment.Configuration, "Release", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"warning: running the {environment.Configuration} build; numbers are only meaningful with -c Release.");
        }

        ServerProcess.InstallCleanupHandlers();
        var files = OpenFileLimit.Raise(connections + 2048);
        if (files < connections + 256)
        {
            Console.Error.WriteLine($"warning: only {files} open files allowed; raise 'ulimit -n' for {connections} connections.");
        }

        if (environment.ClientCore is { } clientCore && !CpuAffinity.PinCurrentProcess(clientCore))
        {
            Console.Error.WriteLine("warning: could not pin the load client to its core.");
        }

        Console.WriteLine($"Machine: {environment.DescribeMachine()}");
        return environment;
    }

    public string DescribeMachine()
    {
        var cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        var memoryGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        var pinning = ServerCore is { } s && ClientCore is { } c
            ? $"server pinned to core {s}, load client to core {c}"
            : "not pinned (fewer than 2 cores or no taskset)";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{cpu}, {Environment.ProcessorCount} cores, {memoryGiB:0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; {pinning}");
    }

    private static string FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WebSocketEcho.Middleware.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"WebSocketEcho.Middleware.sln not found above {start}.");
    }

    private static string FindDotnetHost()
    {
        // .../dotnet/shared/Microsoft.NETCore.App/<version>/ -> .../dotnet/dotnet
        var runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar);
        var candidate = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", "..", "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
