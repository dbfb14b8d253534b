using System.IO.Compression;
using System.Xml.Linq;
using WebSocketEcho.Packaging.Tests.Infrastructure;

namespace WebSocketEcho.Packaging.Tests;

/// <summary>
/// What `dotnet pack` puts into WebSocketEcho.Middleware.&lt;version&gt;.nupkg and .snupkg, and into those of the testing
/// package WebSocketEcho.Middleware.Testing and the Redis backplane package WebSocketEcho.Middleware.Redis.
/// </summary>
[Collection(DotNetCliTests.Name)]
public sealed class PackageContentTests
{
    private const string Core = PackedPackage.CoreId;
    private const string Testing = PackedPackage.TestingId;
    private const string Redis = PackedPackage.RedisId;

    private readonly PackedPackage _package;

    public PackageContentTests(PackedPackage package) => _package = package;

    [Theory]
    [InlineData(Core)]
    [InlineData(Testing)]
    [InlineData(Redis)]
    public void Pack_makes_the_nupkg_and_the_snupkg_without_a_single_warning(string id)
    {
        var pack = id switch { Core => _package.Pack, Testing => _package.TestingPack, _ => _package.RedisPack };
        Assert.True(File.Exists(_package.PackagePathOf(id)), $"{_package.PackagePathOf(id)} is missing:\n{pack?.Output}");
        Assert.True(File.Exists(_package.SymbolsPackagePathOf(id)), $"{_package.SymbolsPackagePathOf(id)} is missing:\n{pack?.Output}");
        Assert.Empty(pack!.Warnings);
        TestContext.Current.TestOutputHelper?.WriteLine($"{pack.Elapsed.TotalSeconds,6:0.0} s  {pack.CommandLine}");
    }

    [Theory]
    [InlineData(Core, "UseWebSocketHandler", "aspnetcore")]
    [InlineData(Testing, "ConnectWebSocketAsync", "testing")]
    [InlineData(Redis, "AddRedisBackplane", "backplane")]
    public void Nuspec_declares_id_version_description_tags_MIT_license_expression_readme_and_GitHub_repository(string id, string described, string tag)
    {
        var metadata = ReadMetadata(id);

        Assert.Equal(id, Value(metadata, "id"));
        Assert.Equal(_package.Version, Value(metadata, "version"));
        Assert.Contains(described, Value(metadata, "description"), StringComparison.Ordinal);
        Assert.Contains("websocket", Value(metadata, "tags").Split(' '));
        Assert.Contains(tag, Value(metadata, "tags").Split(' '));

        var license = Element(metadata, "license");
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("README.md", Value(metadata, "readme"));

        var repository = Element(metadata, "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Equal("https://github.com/websocketecho/WebSocketEcho.Middleware", repository.Attribute("url")?.Value);
        Assert.Equal("https://github.com/websocketecho/WebSocketEcho.Middleware", Value(metadata, "projectUrl"));
    }

    [Fact]
    public void Package_depends_only_on_the_ASP_NET_Core_shared_framework_no_build_time_packages_leak()
    {
        var metadata = ReadMetadata(Core);

        var frameworkReference = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "frameworkReference");
        Assert.Equal("Microsoft.AspNetCore.App", frameworkReference.Attribute("name")?.Value);
        Assert.DoesNotContain(metadata.Descendants(), e => e.Name.LocalName == "dependency");
    }

    [Fact]
    public void Testing_package_depends_on_the_core_package_of_its_own_version_and_TestHost_only_no_build_time_packages_leak()
    {
        var metadata = ReadMetadata(Testing);

        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value, StringComparer.Ordinal);
        Assert.Equal(["Microsoft.AspNetCore.TestHost", Core], dependencies.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(_package.Version, dependencies[Core]);
        Assert.StartsWith("10.0.", dependencies["Microsoft.AspNetCore.TestHost"], StringComparison.Ordinal);
        var frameworkReference = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "frameworkReference");
        Assert.Equal("Microsoft.AspNetCore.App", frameworkReference.Attribute("name")?.Value);
    }

    [Fact]
    public void Redis_package_depends_on_the_core_package_of_its_own_version_and_StackExchange_Redis_only_no_build_time_packages_leak()
    {
        var metadata = ReadMetadata(Redis);

        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value, StringComparer.Ordinal);
        Assert.Equal(["StackExchange.Redis", Core], dependencies.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(_package.Version, dependencies[Core]);
        Assert.Equal("3.4.35", dependencies["StackExchange.Redis"]);
        var frameworkReference = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "frameworkReference");
        Assert.Equal("Microsoft.AspNetCore.App", frameworkReference.Attribute("name")?.Value);
    }

    [Theory]
    [InlineData(Core, "M:Microsoft.AspNetCore.Builder.WebSocketHandlerApplicationBuilderExtensions.UseWebSocketHandler")]
    [InlineData(Testing, "M:WebSocketEcho.Middleware.Testing.TestServerWebSocketExtensions.ConnectWebSocketAsync")]
    [InlineData(Redis, "M:Microsoft.Extensions.DependencyInjection.RedisBackplaneServiceCollectionExtensions.AddRedisBackplane")]
    public void Package_holds_the_net10_library_its_XML_docs_and_PACKAGE_md_as_README_md(string id, string documentedMember)
    {
        using var zip = ZipFile.OpenRead(_package.PackagePathOf(id));
        var entries = zip.Entries.Select(e => e.FullName).ToList();

        Assert.Contains($"lib/net10.0/{id}.dll", entries);
        Assert.Contains($"lib/net10.0/{id}.xml", entries);
        Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase));

        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.Equal(Repository.ReadFile("src", id, "PACKAGE.md").ReplaceLineEndings(), readme.ReadToEnd().ReplaceLineEndings());

        using var docs = new StreamReader(zip.GetEntry($"lib/net10.0/{id}.xml")!.Open());
        Assert.Contains(documentedMember, docs.ReadToEnd(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Core)]
    [InlineData(Testing)]
    [InlineData(Redis)]
    public void Symbols_package_holds_the_portable_pdb_for_the_library(string id)
    {
        using var zip = ZipFile.OpenRead(_package.SymbolsPackagePathOf(id));
        Assert.Contains($"lib/net10.0/{id}.pdb", zip.Entries.Select(e => e.FullName));
    }

    private static string Value(XElement metadata, string name) => Element(metadata, name).Value;

    private static XElement Element(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name) ?? throw new Xunit.Sdk.XunitException($"The nuspec has no <{name}>.");

    private XElement ReadMetadata(string id)
    {
        using var zip = ZipFile.OpenRead(_package.PackagePathOf(id));
        using var nuspec = zip.GetEntry($"{id}.nuspec")!.Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }
}
