using System.IO.Compression;
using System.Xml.Linq;
using WebSocketEcho.Packaging.Tests.Infrastructure;

namespace WebSocketEcho.Packaging.Tests;

/// <summary>What `dotnet pack` puts into WebSocketEcho.Middleware.Redis.&lt;version&gt;.nupkg and .snupkg.</summary>
[Collection(DotNetCliTests.Name)]
public sealed class RedisPackageContentTests
{
    private readonly PackedPackage _package;

    public RedisPackageContentTests(PackedPackage package) => _package = package;

    [Fact]
    public void Pack_makes_the_Redis_nupkg_and_snupkg_without_a_single_warning()
    {
        Assert.True(File.Exists(_package.RedisPackagePath), $"{_package.RedisPackagePath} is missing:\n{_package.RedisPack?.Output}");
        Assert.True(File.Exists(_package.RedisSymbolsPackagePath), $"{_package.RedisSymbolsPackagePath} is missing:\n{_package.RedisPack?.Output}");
        Assert.Empty(_package.RedisPack!.Warnings);
        TestContext.Current.TestOutputHelper?.WriteLine($"{_package.RedisPack.Elapsed.TotalSeconds,6:0.0} s  {_package.RedisPack.CommandLine}");
    }

    [Fact]
    public void Nuspec_declares_id_version_description_tags_MIT_license_readme_and_GitHub_repository()
    {
        var metadata = Metadata();

        Assert.Equal("WebSocketEcho.Middleware.Redis", Nuspec.Value(metadata, "id"));
        Assert.Equal(_package.Version, Nuspec.Value(metadata, "version"));
        Assert.Contains("AddRedisBackplane", Nuspec.Value(metadata, "description"), StringComparison.Ordinal);
        Assert.Contains("redis", Nuspec.Value(metadata, "tags").Split(' '));
        Assert.Contains("backplane", Nuspec.Value(metadata, "tags").Split(' '));
        Assert.Equal("MIT", Nuspec.Value(metadata, "license"));
        Assert.Equal("README.md", Nuspec.Value(metadata, "readme"));
        Assert.Equal("https://github.com/websocketecho/WebSocketEcho.Middleware", Nuspec.Element(metadata, "repository").Attribute("url")?.Value);
    }

    [Fact]
    public void Package_depends_on_the_core_package_of_the_same_version_StackExchange_Redis_and_the_ASP_NET_Core_shared_framework_only()
    {
        var metadata = Metadata();

        var frameworkReference = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "frameworkReference");
        Assert.Equal("Microsoft.AspNetCore.App", frameworkReference.Attribute("name")?.Value);
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
        Assert.Equal(["StackExchange.Redis", "WebSocketEcho.Middleware"], dependencies.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(_package.Version, dependencies["WebSocketEcho.Middleware"]);
        Assert.Equal("3.4.35", dependencies["StackExchange.Redis"]);
    }

    [Fact]
    public void Package_holds_the_net10_library_its_XML_docs_and_PACKAGE_md_as_README_md_and_the_snupkg_its_pdb()
    {
        using var zip = ZipFile.OpenRead(_package.RedisPackagePath);
        var entries = zip.Entries.Select(e => e.FullName).ToList();

        Assert.Contains("lib/net10.0/WebSocketEcho.Middleware.Redis.dll", entries);
        Assert.Contains("lib/net10.0/WebSocketEcho.Middleware.Redis.xml", entries);
        Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(entries, e => e.Contains("WebSocketEcho.Middleware.dll", StringComparison.Ordinal));

        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.Equal(Repository.ReadFile("src", "WebSocketEcho.Middleware.Redis", "PACKAGE.md").ReplaceLineEndings(), readme.ReadToEnd().ReplaceLineEndings());

        using var docs = new StreamReader(zip.GetEntry("lib/net10.0/WebSocketEcho.Middleware.Redis.xml")!.Open());
        Assert.Contains("M:Microsoft.Extensions.DependencyInjection.RedisBackplaneServiceCollectionExtensions.AddRedisBackplane", docs.ReadToEnd(), StringComparison.Ordinal);

        using var symbols = ZipFile.OpenRead(_package.RedisSymbolsPackagePath);
        Assert.Contains("lib/net10.0/WebSocketEcho.Middleware.Redis.pdb", symbols.Entries.Select(e => e.FullName));
    }

    private XElement Metadata() => Nuspec.ReadMetadata(_package.RedisPackagePath, "WebSocketEcho.Middleware.Redis");
}
