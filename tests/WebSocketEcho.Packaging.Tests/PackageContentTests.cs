using System.IO.Compression;
using System.Xml.Linq;
using WebSocketEcho.Packaging.Tests.Infrastructure;

namespace WebSocketEcho.Packaging.Tests;

/// <summary>What `dotnet pack` puts into WebSocketEcho.Middleware.&lt;version&gt;.nupkg and .snupkg.</summary>
[Collection(DotNetCliTests.Name)]
public sealed class PackageContentTests
{
    private readonly PackedPackage _package;

    public PackageContentTests(PackedPackage package) => _package = package;

    [Fact]
    public void Pack_makes_the_nupkg_and_the_snupkg_without_a_single_warning()
    {
        Assert.True(File.Exists(_package.PackagePath), $"{_package.PackagePath} is missing:\n{_package.Pack?.Output}");
        Assert.True(File.Exists(_package.SymbolsPackagePath), $"{_package.SymbolsPackagePath} is missing:\n{_package.Pack?.Output}");
        Assert.Empty(_package.Pack!.Warnings);
        TestContext.Current.TestOutputHelper?.WriteLine($"{_package.Pack.Elapsed.TotalSeconds,6:0.0} s  {_package.Pack.CommandLine}");
    }

    [Fact]
    public void Nuspec_declares_id_version_description_tags_MIT_license_expression_readme_and_GitHub_repository()
    {
        var metadata = Metadata();

        Assert.Equal("WebSocketEcho.Middleware", Nuspec.Value(metadata, "id"));
        Assert.Equal(_package.Version, Nuspec.Value(metadata, "version"));
        Assert.Contains("UseWebSocketHandler", Nuspec.Value(metadata, "description"), StringComparison.Ordinal);
        Assert.Contains("websocket", Nuspec.Value(metadata, "tags").Split(' '));
        Assert.Contains("aspnetcore", Nuspec.Value(metadata, "tags").Split(' '));

        var license = Nuspec.Element(metadata, "license");
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("README.md", Nuspec.Value(metadata, "readme"));

        var repository = Nuspec.Element(metadata, "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Equal("https://github.com/websocketecho/WebSocketEcho.Middleware", repository.Attribute("url")?.Value);
        Assert.Equal("https://github.com/websocketecho/WebSocketEcho.Middleware", Nuspec.Value(metadata, "projectUrl"));
    }

    [Fact]
    public void Package_depends_only_on_the_ASP_NET_Core_shared_framework_no_build_time_packages_leak()
    {
        var metadata = Metadata();

        var frameworkReference = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "frameworkReference");
        Assert.Equal("Microsoft.AspNetCore.App", frameworkReference.Attribute("name")?.Value);
        Assert.DoesNotContain(metadata.Descendants(), e => e.Name.LocalName == "dependency");
    }

    [Fact]
    public void Package_holds_the_net10_library_its_XML_docs_and_PACKAGE_md_as_README_md()
    {
        using var zip = ZipFile.OpenRead(_package.PackagePath);
        var entries = zip.Entries.Select(e => e.FullName).ToList();

        Assert.Contains("lib/net10.0/WebSocketEcho.Middleware.dll", entries);
        Assert.Contains("lib/net10.0/WebSocketEcho.Middleware.xml", entries);
        Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase));

        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.Equal(Repository.ReadFile("src", "WebSocketEcho.Middleware", "PACKAGE.md").ReplaceLineEndings(), readme.ReadToEnd().ReplaceLineEndings());

        using var docs = new StreamReader(zip.GetEntry("lib/net10.0/WebSocketEcho.Middleware.xml")!.Open());
        Assert.Contains("M:Microsoft.AspNetCore.Builder.WebSocketHandlerApplicationBuilderExtensions.UseWebSocketHandler", docs.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Symbols_package_holds_the_portable_pdb_for_the_library()
    {
        using var zip = ZipFile.OpenRead(_package.SymbolsPackagePath);
        Assert.Contains("lib/net10.0/WebSocketEcho.Middleware.pdb", zip.Entries.Select(e => e.FullName));
    }

    private XElement Metadata() => Nuspec.ReadMetadata(_package.PackagePath, "WebSocketEcho.Middleware");
}
