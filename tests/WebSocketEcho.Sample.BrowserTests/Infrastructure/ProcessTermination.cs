using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// Asks a process to stop the way a service manager or Ctrl+C does: SIGTERM, which ASP.NET Core answers with a graceful
/// shutdown (the middleware closes every connection with 1001). .NET has no API that sends a signal, so this calls libc.
/// </summary>
internal static partial class ProcessTermination
{
    private const int SigTerm = 15;

    /// <summary>Sends SIGTERM to <paramref name="process"/>; on Windows, where there is no such signal, kills it.</summary>
    public static void RequestStop(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return;
        }

        if (Kill(process.Id, SigTerm) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill({process.Id}, SIGTERM) failed.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
