namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>
/// The heavy load and chaos tests: they run one at a time, after and never alongside the other tests, because they
/// use thousands of sockets, both cores and the process's memory figures.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosSerial
{
    public const string Name = "Chaos (not parallel)";
}
