namespace WebSocketEcho.Middleware.Tests.Docs;

/// <summary>The repository these tests run in: the folder above the test binaries that holds the solution file.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> s_path = new(Find);

    public static string Path => s_path.Value;

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "WebSocketEcho.Middleware.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No WebSocketEcho.Middleware.sln above {AppContext.BaseDirectory}.");
    }
}
