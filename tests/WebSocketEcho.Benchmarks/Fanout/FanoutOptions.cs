using System.Globalization;
using WebSocketEcho.Benchmarks.Load;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>The fan-out runner's command line (<c>fanout [options]</c>).</summary>
internal sealed class FanoutOptions
{
    public bool Quick { get; private set; }

    /// <summary>Gets a value indicating whether this is the smoke test (<c>--smoke</c>): a few seconds, the middleware only.</summary>
    public bool Smoke { get; private set; }

    /// <summary>
    /// Gets a value indicating whether each kind runs scaled out (<c>--redis</c>): two instances sharing a real
    /// redis-server through the kind's Redis backplane, the publisher on the first, the connections split over both.
    /// </summary>
    public bool Redis { get; private set; }

    public int Rounds { get; private set; } = 5;

    public List<int> ConnectionCounts { get; private set; } = [100, 1_000, 10_000];

    public List<int> Sizes { get; private set; } = [32, 1024];

    public List<FanoutServerKind> Kinds { get; private set; } = [FanoutServerKind.SignalR, FanoutServerKind.Middleware];

    /// <summary>Gets how long each size's bursts are measured, per server and connection count.</summary>
    public TimeSpan BurstDuration { get; private set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the deliveries one burst aims at (K = this / connections messages, within the backlog bound).</summary>
    public int BurstDeliveries { get; private set; } = 100_000;

    /// <summary>Gets the most bytes one burst may queue for one connection (a quarter of both servers' 1 MiB bound).</summary>
    public int BurstBacklogBytes { get; private set; } = 256 * 1024;

    /// <summary>Gets how long the paced phase of each size publishes.</summary>
    public TimeSpan PacedDuration { get; private set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the deliveries per second of the paced phase (the same for every connection count and both servers).</summary>
    public int PacedRate { get; private set; } = 20_000;

    /// <summary>Gets how long the warm-up connections (at most 200) publish each size before the measured connections open.</summary>
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets the smallest connection count whose server memory per connection is measured (two settled VmRSS reads per
    /// server); 0: none. Below about 10,000 connections the growth of VmRSS is mostly the server's fixed costs (GC
    /// budgets, thread-pool threads), which vary by megabytes from run to run, not what each connection holds.
    /// </summary>
    public int MemoryFrom { get; private set; } = 10_000;

    /// <summary>Gets the fault the servers inject once (the runner's self-test: the run must fail), or none.</summary>
    public FanoutFault Fault { get; private set; }

    /// <summary>Gets the runtime configuration (a load-runner preset) both servers run under.</summary>
    public string Config { get; private set; } = "default";

    public Dictionary<string, string> ExtraVariables { get; } = [];

    public string? OutputPath { get; private set; }

    public static string Usage =>
        """
        Fan-out runner: one publisher to many connections, the middleware's push against SignalR's IHubContext.
          dotnet run -c Release --project tests/WebSocketEcho.Benchmarks -- fanout [options]
        Options:
          --quick                 about a minute: 1 round, 100 and 1,000 connections, 1 s phases, no memory
                                  measurement
          --smoke                 a few seconds (CI): the middleware only, 1 round, 100 connections, 32 B and
                                  1 KiB, short phases; fails on any lost, duplicated, out-of-order or garbled message
          --redis                 scaled out: per kind two instances sharing a real redis-server (started on a free
                                  loopback port, stopped by PID) through the kind's Redis backplane; the publisher
                                  on the first, the connections split over both; no memory measurement
                                  (default connections 1000)
          --rounds N              interleaved rounds (default 5; the server that goes first alternates)
          --connections a,b       connection counts (default 100,1000,10000)
          --sizes a,b             message sizes in bytes, at least 32 (default 32,1024)
          --kinds a,b             signalr, middleware (default both)
          --burst S               seconds of bursts measured per size (default 2)
          --burst-deliveries N    deliveries one burst aims at (default 100000)
          --paced S               seconds of paced publishing per size (default 2; 0: none)
          --paced-rate N          deliveries per second of the paced phase (default 20000)
          --warmup S              seconds the warm-up connections publish each size (default 2)
          --memory-from N         measure server memory per connection from N connections on (default 10000;
                                  below that VmRSS growth is mostly fixed costs, not per connection)
          --no-memory             no memory measurement (saves two settled VmRSS reads per server)
          --config NAME           a runtime configuration of the load runner for both servers (default: default)
          --env NAME=VALUE        an extra environment variable for both servers (repeatable)
          --fault X               self-test: the servers garble, lose, duplicate or reorder one message once;
                                  the run must then fail (exit code 1)
          --out FILE              the Markdown report (default artifacts/benchmarks/fanout[-quick].md)
        Any error (a lost, duplicated, out-of-order or garbled message, a dropped connection, a server that exits)
        fails the run: FAILED lines and exit code 1. The target (>= 1.5x SignalR's deliveries/s at 1,000 and 10,000
        connections) is reported, not enforced.
        """;

    /// <summary>Gets the run's name for the report and the default report file: full, quick or smoke, with -redis when scaled out.</summary>
    public string Mode => (Smoke ? "smoke" : Quick ? "quick" : "full") + (Redis ? "-redis" : string.Empty);

    public static FanoutOptions Parse(string[] args)
    {
        var options = new FanoutOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--quick":
                    options.Quick = true;
                    options.Rounds = 1;
                    options.ConnectionCounts = [100, 1_000];
                    options.BurstDuration = TimeSpan.FromSeconds(1);
                    options.PacedDuration = TimeSpan.FromSeconds(1);
                    options.Warmup = TimeSpan.FromSeconds(0.5);
                    options.MemoryFrom = 0;
                    break;
                case "--smoke":
                    options.Smoke = true;
                    options.Rounds = 1;
                    options.ConnectionCounts = [100];
                    options.Kinds = [FanoutServerKind.Middleware];
                    options.BurstDuration = TimeSpan.FromSeconds(0.5);
                    options.PacedDuration = TimeSpan.FromSeconds(0.5);
                    options.Warmup = TimeSpan.FromSeconds(0.25);
                    options.MemoryFrom = 0;
                    break;
                case "--redis":
                    options.Redis = true;
                    options.MemoryFrom = 0;
                    if (!args.Contains("--connections"))
                    {
                        options.ConnectionCounts = [1_000];
                    }

                    break;
                case "--memory-from":
                    options.MemoryFrom = int.Parse(Next(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                    break;
                case "--no-memory":
                    options.MemoryFrom = 0;
                    break;
                case "--rounds":
                    options.Rounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--connections":
                    options.ConnectionCounts = Integers(Next());
                    break;
                case "--sizes":
                    options.Sizes = Integers(Next());
                    break;
                case "--kinds":
                    options.Kinds = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(k => Enum.TryParse<FanoutServerKind>(k, ignoreCase: true, out var kind) ? kind : throw new ArgumentException($"Unknown server kind '{k}'."))];
                    break;
                case "--burst":
                    options.BurstDuration = Seconds(Next());
                    break;
                case "--burst-deliveries":
                    options.BurstDeliveries = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--paced":
                    options.PacedDuration = Seconds(Next());
                    break;
                case "--paced-rate":
                    options.PacedRate = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    options.Warmup = Seconds(Next());
                    break;
                case "--config":
                    options.Config = RunOptions.Presets.ContainsKey(Next()) ? args[i] : throw new ArgumentException($"Unknown configuration '{args[i]}'.");
                    break;
                case "--env":
                    var pair = Next().Split('=', 2);
                    options.ExtraVariables[pair[0]] = pair.Length == 2 ? pair[1] : throw new ArgumentException("--env needs NAME=VALUE.");
                    break;
                case "--fault":
                    options.Fault = Enum.TryParse<FanoutFault>(Next(), ignoreCase: true, out var fault) && fault != FanoutFault.None
                        ? fault
                        : throw new ArgumentException("--fault is garble, lose, duplicate or reorder.");
                    break;
                case "--out":
                    options.OutputPath = Next();
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        if (options.Rounds < 1 || options.ConnectionCounts.Count == 0 || options.ConnectionCounts.Any(c => c < 1) || options.Kinds.Count == 0)
        {
            throw new ArgumentException("--rounds, --connections and --kinds need at least one (positive) value.");
        }

        if (options.Sizes.Count == 0 || options.Sizes.Any(s => s is < FanoutPayload.HeaderLength or > FanoutPayload.MaxSize))
        {
            throw new ArgumentException($"--sizes must be between {FanoutPayload.HeaderLength} and {FanoutPayload.MaxSize} bytes.");
        }

        if (options.BurstDeliveries < 1 || options.PacedRate < 1)
        {
            throw new ArgumentException("--burst-deliveries and --paced-rate must be at least 1.");
        }

        return options;
    }

    /// <summary>Gets the environment both servers get: the configuration's variables and the extra ones.</summary>
    public Dictionary<string, string> Variables()
    {
        var variables = new Dictionary<string, string>(RunOptions.Presets[Config]);
        foreach (var (name, value) in ExtraVariables)
        {
            variables[name] = value;
        }

        return variables;
    }

    /// <summary>Gets the messages of one burst to <paramref name="connections"/> connections at <paramref name="size"/> bytes.</summary>
    public int BurstMessages(int connections, int size) =>
        Math.Clamp(BurstDeliveries / connections, 1, Math.Max(1, BurstBacklogBytes / size));

    private static List<int> Integers(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, NumberStyles.AllowThousands, CultureInfo.InvariantCulture))];

    private static TimeSpan Seconds(string value) => TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture));
}
