using System.Diagnostics;
using System.Globalization;

namespace WebSocketEcho.Tests.Shared;

/// <summary>
/// A machine-wide reader/writer lock between test processes. <c>dotnet test WebSocketEcho.Middleware.sln</c> runs the
/// test assemblies at the same time; <see cref="HeavyTests"/> keeps the chaos tests (which assert time and memory
/// bounds) alone on the machine:
/// <list type="bullet">
/// <item>exclusive: the middleware tests' chaos collection, for as long as it runs;</item>
/// <item>shared: the CPU-heavy work of the other assemblies (Chromium and the sample processes of the browser tests,
/// each <c>dotnet pack</c>/<c>new</c>/<c>build</c>/<c>publish</c> of the packaging tests). Shared holders run alongside
/// each other, never alongside an exclusive holder.</item>
/// </list>
/// How: OS file locks on two files in <see cref="Directory"/> (under the temp folder). Opening with
/// <see cref="FileShare.None"/> takes an exclusive lock (<c>flock(LOCK_EX)</c> on Linux, a deny-all share mode on
/// Windows); opening read-only with <see cref="FileShare.Read"/> takes a shared one (<c>LOCK_SH</c>). The OS drops a
/// process's locks when it exits, however it exits, so a crashed or killed run never leaves a stale lock behind (the
/// files stay; they mean nothing unless open). <c>heavy.gate</c> is a turnstile: an exclusive waiter holds it while it
/// waits, so shared holders that come later queue behind it instead of starving it. Shared holds are counted per
/// process (and per instance), so nested shared holds never wait on the gate. Every wait is bounded: it ends with a
/// <see cref="TimeoutException"/> naming the lock and the processes that hold it (each holder leaves a note next to
/// the lock; notes of processes that are gone are ignored and removed).
/// </summary>
internal sealed class MachineTestLock : IDisposable
{
    /// <summary>How long an acquisition waits by default: longer than the chaos tests, the browser tests or a Native AOT publish take on a loaded machine.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(20);

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim _sharedGuard = new(1, 1);
    private FileStream? _shared;
    private int _sharedHolds;

    /// <param name="directory">The folder of the lock files; processes that use the same folder exclude each other.</param>
    public MachineTestLock(string directory) => Directory = directory;

    /// <summary>Gets the lock between the chaos tests (exclusive) and the other heavy tests (shared), for every test process of the repository on this machine.</summary>
    public static MachineTestLock HeavyTests { get; } = new(Path.Combine(Path.GetTempPath(), "websocketecho-tests-lock"));

    public string Directory { get; }

    private string LockPath => Path.Combine(Directory, "heavy.lock");

    private string GatePath => Path.Combine(Directory, "heavy.gate");

    /// <summary>Waits until no other process holds the lock (shared or exclusive), then holds it alone until the result is disposed.</summary>
    /// <param name="holder">What holds it (shown to whoever waits too long).</param>
    /// <param name="wait">How long to wait at most (default <see cref="DefaultWait"/>).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="TimeoutException">The lock stayed taken for <paramref name="wait"/>.</exception>
    public async Task<IDisposable> AcquireExclusiveAsync(string holder, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        var limit = wait ?? DefaultWait;
        var clock = Stopwatch.StartNew();

        // Hold the gate while waiting, so that shared holders that come after us wait behind us.
        using var gate = await OpenAsync(GatePath, exclusive: true, holder, limit, clock, cancellationToken);
        var stream = await OpenAsync(LockPath, exclusive: true, holder, limit, clock, cancellationToken);
        var note = WriteNote("exclusive", holder);
        return new Hold(() =>
        {
            stream.Dispose();
            DeleteNote(note);
        });
    }

    /// <summary>Waits until no process holds (or waits for) the lock exclusively, then shares it until the result is disposed.</summary>
    /// <param name="holder">What holds it (shown to whoever waits too long).</param>
    /// <param name="wait">How long to wait at most (default <see cref="DefaultWait"/>).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="TimeoutException">An exclusive holder kept it for <paramref name="wait"/>.</exception>
    public async Task<IDisposable> AcquireSharedAsync(string holder, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        var limit = wait ?? DefaultWait;
        var clock = Stopwatch.StartNew();
        if (!await _sharedGuard.WaitAsync(limit, cancellationToken))
        {
            throw new TimeoutException(Describe(exclusive: false, holder, limit));
        }

        try
        {
            if (_sharedHolds == 0)
            {
                // Pass through the gate: it is closed while an exclusive holder waits or holds.
                using (await OpenAsync(GatePath, exclusive: true, holder, limit, clock, cancellationToken))
                {
                    _shared = await OpenAsync(LockPath, exclusive: false, holder, limit, clock, cancellationToken);
                }
            }

            _sharedHolds++;
            var note = WriteNote("shared", holder);
            return new Hold(() =>
            {
                DeleteNote(note);
                _sharedGuard.Wait();
                try
                {
                    if (--_sharedHolds == 0)
                    {
                        _shared?.Dispose();
                        _shared = null;
                    }
                }
                finally
                {
                    _sharedGuard.Release();
                }
            });
        }
        finally
        {
            _sharedGuard.Release();
        }
    }

    /// <summary>Releases this instance's shared hold, if any, and its guard (the static <see cref="HeavyTests"/> lives as long as the process).</summary>
    public void Dispose()
    {
        _shared?.Dispose();
        _sharedGuard.Dispose();
    }

    private async Task<FileStream> OpenAsync(string path, bool exclusive, string holder, TimeSpan limit, Stopwatch clock, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        while (true)
        {
            try
            {
                return exclusive
                    ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                    : new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read);
            }
            catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
            {
                // Taken (a sharing violation): poll until it is free or the time is up.
                if (clock.Elapsed >= limit)
                {
                    throw new TimeoutException(Describe(exclusive, holder, limit), ex);
                }

                await Task.Delay(s_poll, cancellationToken);
            }
        }
    }

    private string Describe(bool exclusive, string holder, TimeSpan limit) =>
        $"Waited {limit} for the machine-wide test lock {LockPath} ({(exclusive ? "exclusive" : "shared")}, for {holder}) and did not get it. " +
        $"It keeps the chaos tests (exclusive) apart from Chromium and dotnet pack/publish (shared). Held now by: {DescribeHolders()}. " +
        "The OS releases it when a holder's process exits, so each holder listed is alive: let it finish, or stop it, and run again.";

    private string DescribeHolders()
    {
        var holders = new List<string>();
        var notes = System.IO.Directory.Exists(Directory) ? System.IO.Directory.GetFiles(Directory, "*.holder") : [];
        foreach (var note in notes)
        {
            var pid = int.TryParse(Path.GetFileName(note).Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1;
            if (IsAlive(pid))
            {
                holders.Add(ReadNote(note));
            }
            else
            {
                DeleteNote(note);
            }
        }

        return holders.Count == 0 ? "no live process left a note (a process outside these tests, or one that just released it)" : string.Join("; ", holders);
    }

    private string WriteNote(string kind, string holder)
    {
        var path = Path.Combine(Directory, $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{kind}.{Guid.NewGuid():N}.holder");
        File.WriteAllText(path, FormattableString.Invariant($"pid {Environment.ProcessId} ({Path.GetFileName(Environment.ProcessPath)}), {kind}, {holder}, since {DateTime.UtcNow:HH:mm:ss} UTC"));
        return path;
    }

    private static string ReadNote(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return Path.GetFileName(path);
        }
    }

    private static void DeleteNote(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a note: a leftover one is ignored once its process is gone.
        }
    }

    private static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>One hold of the lock; disposing it releases that hold (once).</summary>
    private sealed class Hold(Action release) : IDisposable
    {
        private Action? _release = release;

        public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
    }
}
