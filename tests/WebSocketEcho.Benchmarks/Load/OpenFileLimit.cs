using System.Runtime.InteropServices;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// Raises this process's open-file limit (RLIMIT_NOFILE) so it can hold every client socket; the servers it starts
/// inherit it. Raising the hard limit needs root; otherwise the soft limit goes up to the hard one.
/// </summary>
internal static partial class OpenFileLimit
{
    private const int RlimitNofile = 7;

    public static (ulong Soft, ulong Hard) Current()
    {
        _ = GetRlimit(RlimitNofile, out var limit);
        return (limit.Current, limit.Maximum);
    }

    /// <summary>Makes sure at least <paramref name="needed"/> files can be open; returns the soft limit now in force.</summary>
    public static ulong Raise(ulong needed)
    {
        if (!OperatingSystem.IsLinux() || GetRlimit(RlimitNofile, out var limit) != 0)
        {
            return 0;
        }

        if (limit.Current >= needed)
        {
            return limit.Current;
        }

        var wanted = new Rlimit { Current = needed, Maximum = Math.Max(needed, limit.Maximum) };
        if (SetRlimit(RlimitNofile, in wanted) != 0)
        {
            wanted = new Rlimit { Current = limit.Maximum, Maximum = limit.Maximum };
            _ = SetRlimit(RlimitNofile, in wanted);
        }

        return Current().Soft;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, in Rlimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
