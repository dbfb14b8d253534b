using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>How the tests find the browser and decide between skip and failure; no browser needed.</summary>
public sealed class InfrastructureTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("wse-browser-tests-");

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ChromiumLocator_returns_the_first_executable_chromium_on_the_given_PATH()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("checks Unix execute bits");
        }

        var empty = Directory.CreateDirectory(Path.Combine(_root.FullName, "empty")).FullName;
        var notExecutable = CreateFile("plain", "chromium", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var browserOnly = CreateFile("other", "chromium-browser", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var chromium = CreateFile("debian", "chromium", UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var searchPath = string.Join(Path.PathSeparator, empty, Path.GetDirectoryName(notExecutable), Path.GetDirectoryName(browserOnly), Path.GetDirectoryName(chromium));

        Assert.Equal(chromium, ChromiumLocator.Find(searchPath));
        Assert.Equal(browserOnly, ChromiumLocator.Find(string.Join(Path.PathSeparator, empty, Path.GetDirectoryName(browserOnly))));
        Assert.Null(ChromiumLocator.Find(string.Join(Path.PathSeparator, empty, Path.GetDirectoryName(notExecutable))));
        Assert.Null(ChromiumLocator.Find(string.Empty));
        Assert.Null(ChromiumLocator.Find(null));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void NginxServer_finds_the_first_executable_nginx_on_the_given_search_path_and_none_in_empty_folders()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("checks Unix execute bits");
        }

        var empty = Directory.CreateDirectory(Path.Combine(_root.FullName, "no-nginx")).FullName;
        var notExecutable = CreateFile("nginx-plain", "nginx", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var nginx = CreateFile("sbin", "nginx", UnixFileMode.UserRead | UnixFileMode.UserExecute);

        Assert.Equal(nginx, NginxServer.Find(string.Join(Path.PathSeparator, empty, Path.GetDirectoryName(notExecutable), Path.GetDirectoryName(nginx))));
        Assert.Null(NginxServer.Find(string.Join(Path.PathSeparator, empty, Path.GetDirectoryName(notExecutable))));
        Assert.Null(NginxServer.Find(null));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("1", true)]
    [InlineData(" 1 ", true)]
    [InlineData("TRUE", true)]
    public void WSE_REQUIRE_BROWSER_value_decides_between_skip_and_failure(string? value, bool required) =>
        Assert.Equal(required, BrowserRequirement.IsRequiredBy(value));

    public void Dispose() => _root.Delete(recursive: true);

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private string CreateFile(string directory, string name, UnixFileMode mode)
    {
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(_root.FullName, directory)).FullName, name);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
