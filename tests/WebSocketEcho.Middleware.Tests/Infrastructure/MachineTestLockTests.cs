using System.Diagnostics;
using WebSocketEcho.Tests.Shared;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>
/// The machine-wide lock that keeps the chaos tests alone (tests/Shared/MachineTestLock.cs), on a folder of its own so
/// that these tests never touch the real one. Separate instances on one folder behave like separate processes (each
/// has its own file handles), and a real other process is a <c>flock</c> child that the test kills.
/// </summary>
public sealed class MachineTestLockTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"wse-lock-test-{Guid.NewGuid():N}");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Exclusive_waiter_waits_for_the_shared_holder_and_keeps_later_shared_holders_out_until_it_is_done()
    {
        using var readerProcess = new MachineTestLock(_directory);
        using var writerProcess = new MachineTestLock(_directory);
        using var laterProcess = new MachineTestLock(_directory);

        var reading = await readerProcess.AcquireSharedAsync("reader one", cancellationToken: Ct);
        var writing = writerProcess.AcquireExclusiveAsync("the writer", TimeSpan.FromSeconds(60), Ct);

        // The writer goes through the gate first and keeps it while it waits for the reader.
        await WaitUntilTakenAsync(Path.Combine(_directory, "heavy.gate"));
        Assert.False(writing.IsCompleted, "the exclusive lock was granted while a shared holder held it");

        // A later shared holder queues behind the waiting writer (it would otherwise starve it)...
        var queued = await Assert.ThrowsAsync<TimeoutException>(() => laterProcess.AcquireSharedAsync("a later reader", TimeSpan.FromSeconds(1), Ct));
        Assert.Contains(Path.Combine(_directory, "heavy.lock"), queued.Message, StringComparison.Ordinal);
        Assert.Contains("a later reader", queued.Message, StringComparison.Ordinal);
        Assert.Contains("reader one", queued.Message, StringComparison.Ordinal);

        // ...but a nested shared hold in the reader's own process does not (that would deadlock against the writer).
        using (await readerProcess.AcquireSharedAsync("reader one, nested", TimeSpan.FromSeconds(1), Ct))
        {
        }

        Assert.False(writing.IsCompleted, "the exclusive lock was granted while a shared holder held it");
        reading.Dispose();
        var written = await writing.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // While the writer holds it, nobody shares it; the timeout names the holder.
        var excluded = await Assert.ThrowsAsync<TimeoutException>(() => laterProcess.AcquireSharedAsync("a later reader", TimeSpan.FromSeconds(1), Ct));
        Assert.Contains("exclusive, the writer", excluded.Message, StringComparison.Ordinal);

        written.Dispose();
        using var later = await laterProcess.AcquireSharedAsync("a later reader", TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task Lock_held_by_a_process_that_is_killed_is_free_at_once_no_stale_lock_survives_a_crash()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "uses flock(1) as the other process (Linux)");
        Directory.CreateDirectory(_directory);
        var lockFile = Path.Combine(_directory, "heavy.lock");

        // Another process takes the lock exclusively (flock(2), the call FileShare.None makes on Linux) and keeps it.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", "--close", lockFile, "sleep", "300"]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("flock did not start");
        try
        {
            await WaitUntilTakenAsync(lockFile);
            using var waiting = new MachineTestLock(_directory);
            var timeout = await Assert.ThrowsAsync<TimeoutException>(() => waiting.AcquireSharedAsync("the shared holder", TimeSpan.FromSeconds(1), Ct));
            Assert.Contains("did not get it", timeout.Message, StringComparison.Ordinal);

            // The holder crashes (SIGKILL, no cleanup of any kind): the OS releases its lock with it.
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync(Ct);
            var clock = Stopwatch.StartNew();
            using var acquired = await waiting.AcquireSharedAsync("the shared holder", TimeSpan.FromSeconds(10), Ct);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} after the holder died");
        }
        finally
        {
            if (!holder.HasExited)
            {
                holder.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Waits until someone else holds <paramref name="path"/> locked (our own exclusive open fails).</summary>
    private static async Task WaitUntilTakenAsync(string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
                {
                }
            }
            catch (IOException)
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"nobody took {path} within 30 s");
            await Task.Delay(20, Ct);
        }
    }
}
