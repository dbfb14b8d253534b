using System.Globalization;
using System.Runtime.InteropServices;

namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>The test process's own limits and memory, for the load tests.</summary>
internal static class ProcessResources
{
    private const int RlimitNoFileLinux = 7;

    /// <summary>
    /// Makes sure the process may open <paramref name="needed"/> file descriptors: raises the soft limit up to the
    /// hard one, and (as root, as in CI) the hard limit too. Returns the limit in force afterwards.
    /// </summary>
    public static ulong EnsureOpenFiles(ulong needed)
    {
        if (!OperatingSystem.IsLinux() || GetRLimit(RlimitNoFileLinux, out var limit) != 0)
        {
            return ulong.MaxValue;
        }

        if (limit.Current >= needed)
        {
            return limit.Current;
        }

        var wanted = new RLimit { Current = needed, Max = Math.Max(limit.Max, needed) };
        if (SetRLimit(RlimitNoFileLinux, ref wanted) != 0)
        {
            // Not root: go as high as the hard limit allows.
            wanted = new RLimit { Current = Math.Min(needed, limit.Max), Max = limit.Max };
            _ = SetRLimit(RlimitNoFileLinux, ref wanted);
        }

        return GetRLimit(RlimitNoFileLinux, out limit) == 0 ? limit.Current : 0;
    }

    /// <summary>Collects everything it can, then returns the managed heap size and the resident set size, in bytes.</summary>
    public static (long GcHeap, long Rss) MeasureAfterFullGc()
    {
        for (var i = 0; i < 3; i++)
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return (GC.GetTotalMemory(forceFullCollection: true), ResidentSetSize());
    }

    /// <summary>Gets VmRSS from /proc/self/status, or the working set elsewhere.</summary>
    public static long ResidentSetSize()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return Environment.WorkingSet;
    }

    /// <summary>Counts this process's open file descriptors (Linux), or -1.</summary>
    public static int OpenFileDescriptors() =>
        Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : -1;

    public static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    // DllImport rather than LibraryImport: the latter needs unsafe code in the test project for two tiny calls.
    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetRLimit(int resource, ref RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }
}
