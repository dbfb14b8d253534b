using System.Reflection;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// Where the built sample is: its dll and its content root (the project folder, which holds wwwroot and appsettings.json).
/// The test project's build records both (target RecordSampleLocation in the csproj), after building the sample.
/// </summary>
internal static class SampleLocation
{
    /// <summary>Gets the full path of <c>WebSocketEcho.Sample.dll</c>.</summary>
    public static string AssemblyPath { get; } = Metadata("SampleAssemblyPath");

    /// <summary>Gets the sample's project folder, used as its content root so that wwwroot is served.</summary>
    public static string ContentRoot { get; } = Metadata("SampleContentRoot");

    /// <summary>Throws a clear error when the sample has not been built or its folder is missing.</summary>
    public static void EnsureExists()
    {
        if (!File.Exists(AssemblyPath))
        {
            throw new InvalidOperationException($"The sample is not built: {AssemblyPath} does not exist. Build the solution first (dotnet build).");
        }

        if (!File.Exists(Path.Combine(ContentRoot, "wwwroot", "index.html")))
        {
            throw new InvalidOperationException($"The sample's content root {ContentRoot} has no wwwroot/index.html.");
        }
    }

    private static string Metadata(string key) =>
        typeof(SampleLocation).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"The test assembly has no [AssemblyMetadata(\"{key}\")]; the csproj target RecordSampleLocation did not run.");
}
