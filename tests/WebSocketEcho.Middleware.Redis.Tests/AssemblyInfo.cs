using WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

// Every test of this assembly runs while the machine-wide test lock is held shared: see tests/Shared/MachineTestLock.cs.
[assembly: AssemblyFixture(typeof(HeavyTestsLock))]
