namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>
/// A new `dotnet new web` app in a temporary folder that installs packages from this run's local feed with
/// `dotnet add package`, as a user would, with a package cache of its own (the packages can only come from this run).
/// </summary>
internal sealed class ConsumerProject
{
    private ConsumerProject(string folder, IReadOnlyDictionary<string, string> environment)
    {
        Folder = folder;
        Environment = environment;
    }

    public string Folder { get; }

    /// <summary>Gets the environment every command and the app itself run with (the isolated package cache).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public string ProjectFile => Path.Combine(Folder, "Consumer.csproj");

    public static async Task<ConsumerProject> CreateAsync(TempFolder temp, PackedPackage package, IEnumerable<string> packageIds, CancellationToken cancellationToken)
    {
        var folder = temp.Folder("Consumer");
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = temp.Folder("packages") };
        await ConsumerNuGetConfig.WriteAsync(folder, package.Feed, fallbackPackagesFolder: null, cancellationToken);

        await DotNetCli.RunCheckedAsync(folder, ["new", "web", "--name", "Consumer", "--output", folder, "--no-update-check"], Timeouts.Command, environment, cancellationToken);
        var project = new ConsumerProject(folder, environment);
        foreach (var id in packageIds)
        {
            // No --source: that would restrict the restore to the local feed, and the packages' own dependencies
            // (StackExchange.Redis) come from nuget.org. The version exists only in this run's feed.
            await DotNetCli.RunCheckedAsync(folder, ["add", "package", id, "--version", package.Version], Timeouts.Command, environment, cancellationToken);
            Assert.Contains($"""<PackageReference Include="{id}" Version="{package.Version}" />""", await File.ReadAllTextAsync(project.ProjectFile, cancellationToken), StringComparison.Ordinal);
        }

        return project;
    }
}
