namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>The repository these tests run in: found by walking up from the test binaries to the solution file.</summary>
internal static class Repository
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string LibraryProject => Path.Combine(Root, "src", "WebSocketEcho.Middleware", "WebSocketEcho.Middleware.csproj");

    public static string RedisLibraryProject => Path.Combine(Root, "src", "WebSocketEcho.Middleware.Redis", "WebSocketEcho.Middleware.Redis.csproj");

    public static string TestingLibraryProject => Path.Combine(Root, "src", "WebSocketEcho.Middleware.Testing", "WebSocketEcho.Middleware.Testing.csproj");

    public static string SampleProject => Path.Combine(Root, "samples", "WebSocketEcho.Sample", "WebSocketEcho.Sample.csproj");

    public static string ReadFile(params string[] relativePath) => File.ReadAllText(Path.Combine([Root, .. relativePath]));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WebSocketEcho.Middleware.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No WebSocketEcho.Middleware.sln above {AppContext.BaseDirectory}.");
    }
}
