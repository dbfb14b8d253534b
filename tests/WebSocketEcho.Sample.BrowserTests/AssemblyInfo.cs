using WebSocketEcho.Sample.BrowserTests.Infrastructure;

// One shared sample process (started first, so it boots while the browser launches) and one browser for the whole run.
// The first one takes the machine-wide test lock (shared) before anything starts: see tests/Shared/MachineTestLock.cs.
[assembly: AssemblyFixture(typeof(SharedSampleServer))]
[assembly: AssemblyFixture(typeof(BrowserFixture))]
