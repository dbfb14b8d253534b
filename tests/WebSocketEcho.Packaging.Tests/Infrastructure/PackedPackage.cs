namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>
/// The library packed once per test run by <c>dotnet pack</c> into a temporary feed, with a version no other run uses,
/// so nothing can resolve a stale copy from a NuGet cache.
/// </summary>
public sealed class PackedPackage : IAsyncLifetime
{
    private readonly TempFolder _temp = new("wse-pack");

    public string Version { get; } = $"1.0.0-test.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Random.Shared.Next(1, 1_000_000)}";

    /// <summary>Gets the folder that holds the .nupkg and .snupkg: a local NuGet feed.</summary>
    public string Feed => Path.Combine(_temp.Path, "feed");

    public string PackagePath => Path.Combine(Feed, $"WebSocketEcho.Middleware.{Version}.nupkg");

    public string SymbolsPackagePath => Path.Combine(Feed, $"WebSocketEcho.Middleware.{Version}.snupkg");

    internal CommandResult? Pack { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Pack = await DotNetCli.RunCheckedAsync(
            Repository.Root,
            ["pack", Repository.LibraryProject, "-c", "Release", "-o", Feed, $"-p:Version={Version}",
             "--artifacts-path", Path.Combine(_temp.Path, "artifacts"), "--disable-build-servers"],
            Timeouts.Command);
    }

    public ValueTask DisposeAsync()
    {
        _temp.Dispose();
        return ValueTask.CompletedTask;
    }
}
