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

    public string RedisPackagePath => Path.Combine(Feed, $"WebSocketEcho.Middleware.Redis.{Version}.nupkg");

    public string RedisSymbolsPackagePath => Path.Combine(Feed, $"WebSocketEcho.Middleware.Redis.{Version}.snupkg");

    internal CommandResult? Pack { get; private set; }

    /// <summary>Gets the `dotnet pack` of the Redis backplane package (same version, same feed).</summary>
    internal CommandResult? RedisPack { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Pack = await PackAsync(Repository.LibraryProject);
        RedisPack = await PackAsync(Repository.RedisLibraryProject);
    }

    private Task<CommandResult> PackAsync(string project) =>
        DotNetCli.RunCheckedAsync(
            Repository.Root,
            ["pack", project, "-c", "Release", "-o", Feed, $"-p:Version={Version}",
             "--artifacts-path", Path.Combine(_temp.Path, "artifacts"), "--disable-build-servers"],
            Timeouts.Command);

    public ValueTask DisposeAsync()
    {
        _temp.Dispose();
        return ValueTask.CompletedTask;
    }
}
