namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>
/// The libraries packed once per test run by <c>dotnet pack</c> into a temporary feed, with a version no other run uses,
/// so nothing can resolve a stale copy from a NuGet cache: the core package, and the testing and Redis packages, which
/// depend on the core package of the same version.
/// </summary>
public sealed class PackedPackage : IAsyncLifetime
{
    public const string CoreId = "WebSocketEcho.Middleware";
    public const string TestingId = "WebSocketEcho.Middleware.Testing";
    public const string RedisId = "WebSocketEcho.Middleware.Redis";

    private readonly TempFolder _temp = new("wse-pack");

    public string Version { get; } = $"1.0.0-test.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Random.Shared.Next(1, 1_000_000)}";

    /// <summary>Gets the folder that holds the .nupkg and .snupkg files: a local NuGet feed.</summary>
    public string Feed => Path.Combine(_temp.Path, "feed");

    public string PackagePath => PackagePathOf(CoreId);

    public string SymbolsPackagePath => SymbolsPackagePathOf(CoreId);

    /// <summary>Gets the `dotnet pack` of the core package.</summary>
    internal CommandResult? Pack { get; private set; }

    /// <summary>Gets the `dotnet pack` of the testing package.</summary>
    internal CommandResult? TestingPack { get; private set; }

    /// <summary>Gets the `dotnet pack` of the Redis backplane package.</summary>
    internal CommandResult? RedisPack { get; private set; }

    public string PackagePathOf(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    public string SymbolsPackagePathOf(string id) => Path.Combine(Feed, $"{id}.{Version}.snupkg");

    public async ValueTask InitializeAsync()
    {
        Pack = await PackAsync(Repository.LibraryProject);

        // Same artifacts path: the core library is already built, so these packs compile only the testing and Redis libraries.
        TestingPack = await PackAsync(Repository.TestingLibraryProject);
        RedisPack = await PackAsync(Repository.RedisLibraryProject);
    }

    public ValueTask DisposeAsync()
    {
        _temp.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task<CommandResult> PackAsync(string project) =>
        DotNetCli.RunCheckedAsync(
            Repository.Root,
            ["pack", project, "-c", "Release", "-o", Feed, $"-p:Version={Version}",
             "--artifacts-path", Path.Combine(_temp.Path, "artifacts"), "--disable-build-servers"],
            Timeouts.Command);
}
