using System.Collections.Concurrent;
using System.Diagnostics;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// The processes the tests start (the sample, nginx), killed by PID when the test process exits in case a test run is
/// cut short; each test also stops its own when it ends.
/// </summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<Process, byte> s_running = new();

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
    {
        foreach (var process in s_running.Keys)
        {
            KillNow(process);
        }
    };

    /// <summary>Remembers a started process.</summary>
    public static void Track(Process process) => s_running.TryAdd(process, 0);

    /// <summary>Forgets a process that has been stopped.</summary>
    public static void Untrack(Process process) => s_running.TryRemove(process, out _);

    /// <summary>Kills the process and its children now, if it is still running.</summary>
    public static void KillNow(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Not started, or already gone.
        }
    }
}
