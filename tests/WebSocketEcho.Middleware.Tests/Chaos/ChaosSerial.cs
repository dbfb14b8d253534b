namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>
/// The heavy load and chaos tests: they run one at a time, after and never alongside the other tests of this assembly
/// (DisableParallelization: xunit runs such a collection alone, after the parallel ones), because they use thousands of
/// sockets, both cores and the process's memory figures; and never alongside the heavy tests of the other assemblies
/// either (<see cref="ChaosMachineLock"/>).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosSerial : ICollectionFixture<ChaosMachineLock>
{
    public const string Name = "Chaos (not parallel)";
}
