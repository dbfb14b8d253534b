using WebSocketEcho.Sample.BrowserTests.Infrastructure;

// One shared sample process (started first, so it boots while the browser launches) and one browser for the whole run.
[assembly: AssemblyFixture(typeof(SharedSampleServer))]
[assembly: AssemblyFixture(typeof(BrowserFixture))]
