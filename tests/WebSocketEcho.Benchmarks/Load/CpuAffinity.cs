using System.Runtime.InteropServices;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// Pins the load client and the servers to different cores: servers start under <c>taskset -c N</c>; the runner pins
/// every thread it already has (threads it creates later inherit the mask of the thread that creates them).
/// </summary>
internal static partial class CpuAffinity
{
    /// <summary>Gets the cores this process may run on, in order.</summary>
    public static IReadOnlyList<int> AvailableCores()
    {
        var cores = new List<int>();
        if (OperatingSystem.IsLinux() && SchedGetAffinity(0, sizeof(ulong), out var mask) == 0)
        {
            for (var i = 0; i < 64; i++)
            {
                if ((mask & (1UL << i)) != 0)
                {
                    cores.Add(i);
                }
            }
        }

        if (cores.Count == 0)
        {
            cores.AddRange(Enumerable.Range(0, Environment.ProcessorCount));
        }

        return cores;
    }

    /// <summary>Pins every thread of this process to <paramref name="core"/>; false if that is not possible here.</summary>
    public static bool PinCurrentProcess(int core)
    {
        if (!OperatingSystem.IsLinux() || core is < 0 or > 63)
        {
            return false;
        }

        var mask = 1UL << core;
        var all = true;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (int.TryParse(Path.GetFileName(task), out var tid) && SchedSetAffinity(tid, sizeof(ulong), in mask) != 0)
            {
                all = false;
            }
        }

        return all;
    }

    public static bool HasTaskset() => File.Exists("/usr/bin/taskset") || File.Exists("/bin/taskset");

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint cpusetsize, in ulong mask);

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetAffinity(int pid, nuint cpusetsize, out ulong mask);
}
