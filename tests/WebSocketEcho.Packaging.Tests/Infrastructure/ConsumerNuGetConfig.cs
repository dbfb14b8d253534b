namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>The nuget.config of a consumer project: this run's local feed first, then nuget.org.</summary>
internal static class ConsumerNuGetConfig
{
    /// <summary>
    /// Writes nuget.config into <paramref name="projectFolder"/>. With <paramref name="fallbackPackagesFolder"/>, packages
    /// already there (the machine's cache) are used from it instead of being fetched again.
    /// </summary>
    public static Task WriteAsync(string projectFolder, string feed, string? fallbackPackagesFolder, CancellationToken cancellationToken)
    {
        var fallback = fallbackPackagesFolder is null ? string.Empty : $"""

              <fallbackPackageFolders>
                <add key="machine" value="{fallbackPackagesFolder}" />
              </fallbackPackageFolders>
            """;
        return File.WriteAllTextAsync(Path.Combine(projectFolder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>{fallback}
            </configuration>
            """, cancellationToken);
    }

    /// <summary>Gets the machine's global packages folder (NUGET_PACKAGES, or ~/.nuget/packages).</summary>
    public static string MachinePackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
