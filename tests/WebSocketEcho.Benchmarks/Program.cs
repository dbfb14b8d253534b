using WebSocketEcho.Benchmarks.Baseline;
using WebSocketEcho.Benchmarks.CloseTimes;
using WebSocketEcho.Benchmarks.Load;
using WebSocketEcho.Benchmarks.Micro;

// One console app, four modes:
//   (default)         the load runner: starts the servers as separate processes and compares them
//   micro [...]       BenchmarkDotNet micro-benchmarks of the per-message path (in memory)
//   close-times [...]  how long a connection the server fails takes to end, per failure code and peer (in process)
//   baseline-server   the documentation's echo loop as a server (started by the load runner)
//   lean-server       the leanest loop on the platform as a server (--candidate lean: calibration)
//   garble-server     an echo server that garbles 1 reply in 1,000 (--candidate garble: the runner's self-test)
return args.FirstOrDefault() switch
{
    "baseline-server" => await DocsEchoServer.RunAsync(args[1..]),
    "lean-server" => await DocsEchoServer.RunAsync(args[1..], lean: true),
    "lean-direct-server" => await DocsEchoServer.RunAsync(args[1..], lean: true, direct: true),
    "garble-server" => await DocsEchoServer.RunAsync(args[1..], garble: true),
    "micro" => MicroBenchmarks.Run(args[1..]),
    "close-times" => await CloseTimesRunner.RunAsync(args[1..]),
    "--help" or "-h" => Help(),
    _ => await LoadRunner.RunAsync(args),
};

static int Help()
{
    Console.WriteLine(RunOptions.Usage);
    return 0;
}
