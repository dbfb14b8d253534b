namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// Finds the system's Chromium on PATH (Debian's <c>chromium</c> package, or <c>chromium-browser</c> elsewhere).
/// The tests never download a browser: Playwright drives this one.
/// </summary>
internal static class ChromiumLocator
{
    /// <summary>The skip (or, in CI, failure) reason when no Chromium is found.</summary>
    public const string NotFoundMessage =
        "chromium not found on PATH; install it with: sudo apt-get install -y chromium (the tests never download a browser)";

    private static readonly string[] s_names = ["chromium", "chromium-browser"];

    /// <summary>Gets the full path of the first executable Chromium on the PATH of this process, or null.</summary>
    public static string? FindOnPath() => Find(Environment.GetEnvironmentVariable("PATH"));

    /// <summary>Gets the full path of the first executable Chromium on <paramref name="searchPath"/> (a PATH value), or null.</summary>
    public static string? Find(string? searchPath)
    {
        if (string.IsNullOrWhiteSpace(searchPath))
        {
            return null;
        }

        var directories = searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in s_names)
        {
            var fileName = OperatingSystem.IsWindows() ? name + ".exe" : name;
            foreach (var directory in directories)
            {
                var candidate = Path.Combine(directory, fileName);
                if (IsExecutableFile(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }

        return null;
    }

    /// <summary>Gets a value indicating whether <paramref name="path"/> is a file anyone may execute (any file, on Windows).</summary>
    internal static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
