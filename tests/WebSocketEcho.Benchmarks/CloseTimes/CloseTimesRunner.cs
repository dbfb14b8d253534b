using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Benchmarks.CloseTimes;

/// <summary>
/// The <c>close-times</c> mode: how long a connection the server fails takes to end, per failure code and peer
/// behaviour (<see cref="CloseCases"/>), against real Kestrel with the middleware's default options
/// (<see cref="CloseTimesServer"/>). For each case it measures, on the peer, the time from the failing bytes (the end of
/// their write; for 1008 the server's failed send) to the server's close frame and to the end of TCP, and whether TCP
/// ended with FIN or RST. Prints a Markdown table of medians and maxima; exits 1 when any measurement failed (no close
/// frame, the wrong status, TCP still open <see cref="Wait"/> later), with a FAILED line for each.
/// </summary>
internal static class CloseTimesRunner
{
    public const string Usage =
        "close-times [--repetitions N (10)] [--parallel N (4): cases measured at the same time] [--out file.md]";

    /// <summary>How long the peer waits for the close frame, and then for the end of TCP, before it calls the measurement failed.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static int _floodIds;

    public static async Task<int> RunAsync(string[] args)
    {
        var repetitions = 10;
        var parallel = 4;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repetitions" when i + 1 < args.Length:
                    repetitions = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--parallel" when i + 1 < args.Length:
                    parallel = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"Unknown argument {args[i]}. Usage: {Usage}");
                    return 2;
            }
        }

        var defaults = new WebSocketHandlerOptions();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"close-times: {repetitions} repetitions, {parallel} cases at a time; default options: CloseTimeout {defaults.CloseTimeout.TotalSeconds} s, " +
            $"MaxMessageSize {defaults.MaxMessageSize}, MaxFragmentsPerMessage {defaults.MaxFragmentsPerMessage}, MaxPendingSendBytes {defaults.MaxPendingSendBytes}"));
        await using var server = await CloseTimesServer.StartAsync();
        using var gate = new SemaphoreSlim(parallel);
        var started = Stopwatch.GetTimestamp();
        var cases = Enum.GetValues<Failure>().SelectMany(failure => Enum.GetValues<Peer>().Select(peer => (failure, peer)));
        var rows = await Task.WhenAll(cases.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                var samples = new List<CloseSample>();
                for (var i = 0; i < repetitions; i++)
                {
                    samples.Add(await MeasureAsync(server, c.failure, c.peer));
                }

                Console.WriteLine($"  measured {CloseCases.Describe(c.failure)} | {CloseCases.Describe(c.peer)}");
                return (c.failure, c.peer, (IReadOnlyList<CloseSample>)samples);
            }
            finally
            {
                gate.Release();
            }
        }));

        var table = CloseTimesTable.Format(rows);
        Console.WriteLine();
        Console.Write(table);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"({Stopwatch.GetElapsedTime(started).TotalSeconds:0} s)"));
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, table);
        }

        var failed = 0;
        foreach (var (failure, peer, samples) in rows)
        {
            for (var i = 0; i < samples.Count; i++)
            {
                if (samples[i].Error is { } error)
                {
                    failed++;
                    Console.WriteLine($"FAILED: {CloseCases.Describe(failure)} | {CloseCases.Describe(peer)} | run {i + 1}: {error}");
                }
            }
        }

        Console.WriteLine(failed == 0 ? "PASSED: every failed connection delivered its close frame and ended TCP" : $"{failed} measurements failed");
        return failed == 0 ? 0 : 1;
    }

    private static async Task<CloseSample> MeasureAsync(CloseTimesServer server, Failure failure, Peer peer)
    {
        var flood = failure == Failure.SendBufferFull ? Interlocked.Increment(ref _floodIds).ToString(CultureInfo.InvariantCulture) : null;
        var expected = CloseCases.ExpectedStatus(failure);
        using var stopSending = new CancellationTokenSource();
        var sending = Task.CompletedTask;
        try
        {
            await using var client = await RawPeer.ConnectAsync(
                server.Port,
                flood is null ? CloseTimesServer.EchoPath : CloseTimesServer.FloodPath + "?id=" + flood,
                receiveBufferSize: flood is null ? null : 4096,
                CancellationToken.None);

            // The failing bytes and, for a silent peer, the start of a frame it never finishes. The flooded peer sends
            // that first and reads nothing until the server's send has failed.
            long failedAt;
            if (flood is null)
            {
                byte[] failing = [.. CloseCases.Failing(failure), .. CloseCases.MidFrame(failure, peer)];
                await client.WriteAsync(failing, CancellationToken.None);
                failedAt = Stopwatch.GetTimestamp();
            }
            else
            {
                await client.WriteAsync(CloseCases.MidFrame(failure, peer), CancellationToken.None);
                failedAt = await server.SendFailedAtAsync(flood).WaitAsync(Wait);
            }

            if (peer is Peer.SendsThenStops or Peer.NeverStops)
            {
                sending = SendFillerAsync(client, peer == Peer.SendsThenStops ? CloseCases.SendingFor : Wait, stopSending.Token);
            }

            var status = await client.ReadUntilCloseAsync(Wait, CancellationToken.None);
            var closeMs = Stopwatch.GetElapsedTime(failedAt).TotalMilliseconds;
            if (status is null)
            {
                return new CloseSample(null, closeMs, null, "TCP ended before the close frame arrived");
            }

            if (peer == Peer.AnswersClose)
            {
                await client.WriteAsync(CloseCases.CloseAnswer(status.Value), CancellationToken.None);
            }

            var end = await client.WaitForEndAsync(Wait, CancellationToken.None);
            var endMs = Stopwatch.GetElapsedTime(failedAt).TotalMilliseconds;
            var error = status != expected ? $"close status {status}, expected {expected}"
                : end == TcpEnd.Open ? $"TCP still open {Wait.TotalSeconds:0} s after the close frame"
                : null;
            return new CloseSample(closeMs, end == TcpEnd.Open ? null : endMs, end, error);
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or InvalidOperationException)
        {
            return new CloseSample(null, null, null, $"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            await stopSending.CancelAsync();
            await sending;
        }
    }

    /// <summary>Sends a 1 KiB frame every 10 ms for <paramref name="duration"/>, until TCP ends or <paramref name="stop"/>.</summary>
    private static Task SendFillerAsync(RawPeer client, TimeSpan duration, CancellationToken stop) => Task.Run(
        async () =>
        {
            var frame = CloseCases.Filler();
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            try
            {
                while (Stopwatch.GetTimestamp() < until)
                {
                    await client.WriteAsync(frame, stop);
                    await Task.Delay(10, stop);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server ended TCP, or the measurement is over.
            }
        },
        CancellationToken.None);
}
