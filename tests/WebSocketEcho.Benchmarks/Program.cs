using WebSocketEcho.Benchmarks.Baseline;
using WebSocketEcho.Benchmarks.CloseTimes;
using WebSocketEcho.Benchmarks.Fanout;
using WebSocketEcho.Benchmarks.Load;
using WebSocketEcho.Benchmarks.Micro;

// One console app, several modes:
//   (default)         the load runner: starts the servers as separate processes and compares them
//   micro [...]       BenchmarkDotNet micro-benchmarks of the per-message path (in memory)
//   close-times [...]  how long a connection the server fails takes to end, per failure code and peer (in process)
//   baseline-server   the documentation's echo loop as a server (started by the load runner)
//   lean-server       the leanest loop on the platform as a server (--candidate lean: calibration)
//   garble-server     an echo server that garbles 1 reply in 1,000 (--candidate garble: the runner's self-test)
//   fanout [...]      the fan-out runner: the middleware's push against SignalR (fanout --help)
//   fanout-server     a fan-out server, --kind middleware or signalr (started by the fan-out runner)
return args.FirstOrDefault() switch
{
    "baseline-server" => await DocsEchoServer.RunAsync(args[1..]),
    "lean-server" => await DocsEchoServer.RunAsync(args[1..], lean: true),
    "lean-direct-server" => await DocsEchoServer.RunAsync(args[1..], lean: true, direct: true),
    "garble-server" => await DocsEchoServer.RunAsync(args[1..], garble: true),
    "micro" => MicroBenchmarks.Run(args[1..]),
    "close-times" => await CloseTimesRunner.RunAsync(args[1..]),
    "fanout" when args.Contains("--help") => FanoutHelp(),
    "fanout" => await FanoutRunner.RunAsync(args[1..]),
    "fanout-server" => await FanoutServer.RunAsync(args[1..]),
    "--help" or "-h" => Help(),
    _ => await LoadRunner.RunAsync(args),
};

static int Help()
{
    Console.WriteLine(RunOptions.Usage);
    return 0;
}

static int FanoutHelp()
{
    Console.WriteLine(FanoutOptions.Usage);
    return 0;
}
