using System.Globalization;
using WebSocketEcho.Sample;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>The load runner's command line.</summary>
internal sealed class RunOptions
{
    /// <summary>Runtime configurations the runner knows by name: environment variables given to both servers alike.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Presets =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase)
        {
            // Each app as shipped: the sample with inline socket completions (its appsettings.json), the docs loop without.
            ["default"] = new Dictionary<string, string>(),
            // Like with like: both on the runtime's default socket scheduling (the operator's variable wins in the sample).
            ["platform-default"] = new Dictionary<string, string> { [InlineSocketCompletions.Variable] = "0" },
            ["inline"] = new Dictionary<string, string>
            {
                [InlineSocketCompletions.Variable] = "1",
                ["SocketTransport__UnsafePreferInlineScheduling"] = "true",
            },
            ["socket-inline"] = new Dictionary<string, string> { [InlineSocketCompletions.Variable] = "1" },
            ["ioqueue0"] = new Dictionary<string, string> { ["SocketTransport__IOQueueCount"] = "0" },
            ["socket-inline-ioqueue0"] = new Dictionary<string, string>
            {
                [InlineSocketCompletions.Variable] = "1",
                ["SocketTransport__IOQueueCount"] = "0",
            },
            ["workstation"] = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },
            ["workstation-nonconcurrent"] = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "0" },
            ["server-nodatas"] = new Dictionary<string, string> { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "0" },
            ["conserve"] = new Dictionary<string, string> { ["DOTNET_GCConserveMemory"] = "5" },
            ["gen0-4m"] = new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x400000" },
            // The sample with the platform's default keep-alive (the docs loop's): pings every 2 min, no pong timeout.
            ["docs-keepalive"] = new Dictionary<string, string>
            {
                ["Echo__WebSocket__KeepAliveInterval"] = "00:02:00",
                ["Echo__WebSocket__KeepAliveTimeout"] = "-00:00:00.0010000",
            },
            ["quiet-hosting"] = new Dictionary<string, string> { ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "None" },
        };

    public bool Quick { get; private set; }

    public int Rounds { get; private set; } = 5;

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(5);

    public int IdleConnections { get; private set; } = 10_000;

    public int ActiveConnections { get; private set; } = 1_000;

    public int HandshakeWorkers { get; private set; } = 32;

    /// <summary>Gets the runtime configurations to run; the first one is the headline comparison.</summary>
    public List<string> Configs { get; } = [];

    /// <summary>Gets extra environment variables given to both servers in every configuration.</summary>
    public Dictionary<string, string> ExtraVariables { get; } = [];

    public HashSet<string> Scenarios { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? OutputPath { get; private set; }

    /// <summary>Gets what is compared with the docs loop: the sample (the middleware), or the lean loop (calibration).</summary>
    public string Candidate { get; private set; } = "sample";

    public string CandidateLabel => Candidate switch { "lean" => "Lean loop", "lean-direct" => "Lean direct loop", "garble" => "Garbling loop", _ => "Middleware" };

    public static string Usage =>
        """
        Load runner: the sample (middleware) against the documentation's loop, as separate Release processes.
          dotnet run -c Release --project tests/WebSocketEcho.Benchmarks -- [options]
          dotnet run -c Release --project tests/WebSocketEcho.Benchmarks -- micro [BenchmarkDotNet options]
        Options:
          --quick                 about 3 minutes: 2 rounds, 2 s runs, 2,000 idle connections (CI smoke test)
          --rounds N              interleaved rounds (default 5)
          --duration S            seconds measured per run (default 5); --warmup S (default 2)
          --idle N                idle connections for the memory measurement (default 10000)
          --active N              active connections next to them (default 1000)
          --scenarios a,b         any of: echo1, echo64, echo1000, echo16k, handshakes, memory (default all)
          --configs a,b           runtime configurations, each run for both servers (first = headline):
                                  default (each app as shipped: inline socket completions in the sample only),
                                  platform-default (both on the runtime's default socket scheduling),
                                  socket-inline (both with inline socket completions), inline, ioqueue0,
                                  socket-inline-ioqueue0, workstation,
                                  workstation-nonconcurrent, server-nodatas, conserve, gen0-4m, quiet-hosting,
                                  docs-keepalive (the sample with the platform's default keep-alive)
          --env NAME=VALUE        an extra environment variable for both servers (repeatable)
          --candidate lean        compare the leanest possible loop (lean-server) with the docs loop instead of the
                                  sample: what ratio any loop on the platform can reach on this machine;
          --candidate lean-direct the same without the zero-byte wait (a buffer held per idle connection)
          --candidate garble      self-test: a server that garbles 1 reply in 1,000; the run must fail (exit code 1)
        Any error (a reply that is not the expected echo byte for byte, a stuck round trip, a dropped idle connection)
        fails the run: a FAILED line per run and exit code 1. Performance targets are reported, not enforced.
          --out FILE              where to write the Markdown report (default artifacts/benchmarks/load-<config>.md)
        """;

    public static RunOptions Parse(string[] args)
    {
        var options = new RunOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--quick":
                    options.Quick = true;
                    options.Rounds = 2;
                    options.Warmup = TimeSpan.FromSeconds(0.5);
                    options.Duration = TimeSpan.FromSeconds(2);
                    options.IdleConnections = 2_000;
                    options.ActiveConnections = 200;
                    break;
                case "--rounds":
                    options.Rounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--duration":
                    options.Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture));
                    break;
                case "--warmup":
                    options.Warmup = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture));
                    break;
                case "--idle":
                    options.IdleConnections = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--active":
                    options.ActiveConnections = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--scenarios":
                    options.Scenarios.UnionWith(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--configs":
                    foreach (var name in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        options.Configs.Add(Presets.ContainsKey(name) ? name : throw new ArgumentException($"Unknown configuration '{name}'."));
                    }

                    break;
                case "--env":
                    var pair = Next().Split('=', 2);
                    options.ExtraVariables[pair[0]] = pair.Length == 2 ? pair[1] : throw new ArgumentException("--env needs NAME=VALUE.");
                    break;
                case "--candidate":
                    options.Candidate = Next() is "sample" or "lean" or "lean-direct" or "garble" ? args[i] : throw new ArgumentException("--candidate is sample, lean, lean-direct or garble.");
                    break;
                case "--out":
                    options.OutputPath = Next();
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        if (options.Configs.Count == 0)
        {
            options.Configs.Add("default");
        }

        if (options.Rounds < 1 || options.IdleConnections < 1 || options.ActiveConnections < 1)
        {
            throw new ArgumentException("--rounds, --idle and --active must be at least 1.");
        }

        return options;
    }

    public bool Runs(string scenario) => Scenarios.Count == 0 || Scenarios.Contains(scenario);

    public Dictionary<string, string> VariablesFor(string config)
    {
        var variables = new Dictionary<string, string>(Presets[config]);
        foreach (var (name, value) in ExtraVariables)
        {
            variables[name] = value;
        }

        return variables;
    }
}
