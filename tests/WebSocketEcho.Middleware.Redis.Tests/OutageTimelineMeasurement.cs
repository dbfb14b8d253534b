using System.Diagnostics;
using System.Globalization;
using WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Redis.Tests;

/// <summary>
/// The outage timeline quoted in docs/redis.md, measured: two instances each push a numbered message to all every
/// 10 ms, redis-server is killed (SIGKILL), started again on the same port after <see cref="OutageLength"/>, and the
/// timeline is read off: how soon each instance saw Redis gone, how many messages waited, how soon after the restart a
/// message published after it crossed over in both directions; six tries, then one with a buffer too small for the
/// outage, whose drops are counted. Explicit (about a minute and a half): run it with
/// <c>dotnet run --project tests/WebSocketEcho.Middleware.Redis.Tests -- -class WebSocketEcho.Middleware.Redis.Tests.OutageTimelineMeasurement -explicit only -showliveoutput</c>.
/// It still checks the promise on every try: nothing lost within the buffer, nothing twice, in order.
/// </summary>
public sealed class OutageTimelineMeasurement
{
    private const int Tries = 6;
    private const int SmallBuffer = 100;
    private static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan PushInterval = TimeSpan.FromMilliseconds(10);

    [Fact(Explicit = true)]
    public async Task Redis_killed_while_two_instances_push_and_started_again_after_3_s_six_times_then_once_with_a_buffer_of_100()
    {
        var output = TestContext.Current.TestOutputHelper!;
        output.WriteLine($"Outage of {OutageLength.TotalSeconds:0} s, each instance pushing to all every {PushInterval.TotalMilliseconds:0} ms, default options (MaxReconnectFlushDelay {new RedisBackplaneOptions().MaxReconnectFlushDelay.TotalSeconds:0} s).");
        output.WriteLine("try | detected A/B (ms) | buffered A/B | Redis answering (ms) | reconnected A/B (ms) | listener wait A/B (ms) | resumed A->B / B->A (ms) | dropped");
        var resumed = new List<double>();
        for (var i = 1; i <= Tries; i++)
        {
            var timeline = await MeasureAsync(maxBufferedMessages: null);
            output.WriteLine($"{i} | {timeline}");
            resumed.Add(timeline.Resumed);
        }

        resumed.Sort();
        var median = (resumed[(Tries - 1) / 2] + resumed[Tries / 2]) / 2;
        output.WriteLine(Invariant($"Resumed (the later direction) after the restart: median {median:0} ms, max {resumed[^1]:0} ms, min {resumed[0]:0} ms."));

        var overflow = await MeasureAsync(maxBufferedMessages: SmallBuffer);
        output.WriteLine($"MaxBufferedMessages {SmallBuffer} | {overflow}");
        Assert.True(overflow.DroppedA > 0 && overflow.DroppedB > 0, "an outage of 3 s at 100 messages a second must overflow a buffer of 100");
    }

    private static async Task<Timeline> MeasureAsync(int? maxBufferedMessages)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var apps = await TwoInstances.StartAsync(redis, options =>
        {
            if (maxBufferedMessages is { } max)
            {
                options.MaxBufferedMessages = max;
            }
        });
        using var a2 = await apps.A.ConnectAsync("a2");
        using var b2 = await apps.B.ConnectAsync("b2");
        var atA2 = ReceivedTexts.Collect(a2);
        var atB2 = ReceivedTexts.Collect(b2);

        using var stop = new CancellationTokenSource();
        var fromA = new Publisher(apps.A, "A");
        var fromB = new Publisher(apps.B, "B");
        var publishing = Task.WhenAll(fromA.RunAsync(stop.Token), fromB.RunAsync(stop.Token));
        await BackplaneApp.WaitForAsync(() => atB2.Contains("A 3") && atA2.Contains("B 3"), "messages across instances before the outage");

        var killed = Stopwatch.GetTimestamp();
        redis.Kill();
        TimeSpan? detectedA = null, detectedB = null;
        while (detectedA is null || detectedB is null)
        {
            detectedA ??= apps.A.Backplane.IsConnected ? null : Stopwatch.GetElapsedTime(killed);
            detectedB ??= apps.B.Backplane.IsConnected ? null : Stopwatch.GetElapsedTime(killed);
            Assert.True(Stopwatch.GetElapsedTime(killed) < TimeSpan.FromSeconds(15), "Redis gone not seen within 15 s.");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        // The outage itself: its length is what is measured against.
        var left = OutageLength - Stopwatch.GetElapsedTime(killed);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, TestContext.Current.CancellationToken);
        }

        var (bufferedA, bufferedB) = (apps.A.Backplane.BufferedMessages, apps.B.Backplane.BufferedMessages);
        var (firstAfterA, firstAfterB) = (fromA.Sent, fromB.Sent);
        var restartedAt = DateTimeOffset.UtcNow;
        var restarted = Stopwatch.GetTimestamp();
        await redis.StartProcessAsync();
        var answering = Stopwatch.GetElapsedTime(restarted);
        TimeSpan? aToB = null, bToA = null;
        while (aToB is null || bToA is null)
        {
            aToB ??= atB2.Numbers("A").Any(n => n >= firstAfterA) ? Stopwatch.GetElapsedTime(restarted) : null;
            bToA ??= atA2.Numbers("B").Any(n => n >= firstAfterB) ? Stopwatch.GetElapsedTime(restarted) : null;
            Assert.True(Stopwatch.GetElapsedTime(restarted) < TimeSpan.FromSeconds(30), "Cross-instance delivery did not resume within 30 s.");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        await stop.CancelAsync();
        await publishing;
        await apps.A.Push.All.SendTextAsync("end A", TestContext.Current.CancellationToken);
        await apps.B.Push.All.SendTextAsync("end B", TestContext.Current.CancellationToken);
        await BackplaneApp.WaitForAsync(() => atA2.Contains("end B") && atB2.Contains("end A"), "the end markers");
        await BackplaneApp.WaitForAsync(() => apps.A.BackplaneLogs.Any(r => r.Id.Id == 5) && apps.B.BackplaneLogs.Any(r => r.Id.Id == 5), "both instances to log their published buffer");

        // The promise, on every try: locally everything; across, everything but what was dropped (counted), in order, once.
        atA2.AssertSequence("A", fromA.Sent);
        atB2.AssertSequence("B", fromB.Sent);
        CheckAcross(atB2.Numbers("A"), fromA, apps.A);
        CheckAcross(atA2.Numbers("B"), fromB, apps.B);

        return new Timeline(
            detectedA.Value, detectedB.Value, bufferedA, bufferedB, answering,
            Since(apps.A, 4, restartedAt), Since(apps.B, 4, restartedAt), Waited(apps.A), Waited(apps.B),
            aToB.Value, bToA.Value, fromA.Dropped, fromB.Dropped);
    }

    /// <summary>What crossed over from one publisher: all it sent except the ones it was told were Dropped, in order, once.</summary>
    private static void CheckAcross(List<int> received, Publisher publisher, BackplaneApp app)
    {
        Assert.Equal(publisher.Sent - publisher.Dropped, received.Count);
        Assert.True(received.Zip(received.Skip(1)).All(pair => pair.First < pair.Second), $"{publisher.Name}'s messages arrived out of order or twice.");
        Assert.Equal(publisher.Dropped, app.Backplane.GetStatus().DroppedTotal);
    }

    private static TimeSpan Since(BackplaneApp app, int eventId, DateTimeOffset start) =>
        app.BackplaneLogs.First(r => r.Id.Id == eventId).Timestamp - start;

    private static TimeSpan Waited(BackplaneApp app) =>
        TimeSpan.Parse(app.BackplaneLogs.First(r => r.Id.Id == 5).GetStructuredStateValue("Waited")!, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Pushes "{name} {n}" to all every <see cref="PushInterval"/> and counts what the backplane said of each.</summary>
    private sealed class Publisher(BackplaneApp app, string name)
    {
        private int _sent;
        private int _dropped;

        public string Name => name;

        public int Sent => Volatile.Read(ref _sent);

        public int Dropped => Volatile.Read(ref _dropped);

        public Task RunAsync(CancellationToken stop) => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var result = await app.Push.All.SendTextAsync($"{name} {_sent}", CancellationToken.None);
                if (result.Backplane == BackplaneDelivery.Dropped)
                {
                    Interlocked.Increment(ref _dropped);
                }

                Interlocked.Increment(ref _sent);
                try
                {
                    await Task.Delay(PushInterval, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);
    }

    private sealed record Timeline(
        TimeSpan DetectedA, TimeSpan DetectedB, int BufferedA, int BufferedB, TimeSpan Answering,
        TimeSpan ReconnectedA, TimeSpan ReconnectedB, TimeSpan WaitedA, TimeSpan WaitedB,
        TimeSpan AToB, TimeSpan BToA, int DroppedA, int DroppedB)
    {
        /// <summary>Gets the later of the two directions, in milliseconds: when cross-instance delivery had resumed both ways.</summary>
        public double Resumed => Math.Max(AToB.TotalMilliseconds, BToA.TotalMilliseconds);

        public override string ToString() => Invariant(
            $"{DetectedA.TotalMilliseconds:0}/{DetectedB.TotalMilliseconds:0} | {BufferedA}/{BufferedB} | {Answering.TotalMilliseconds:0} | {ReconnectedA.TotalMilliseconds:0}/{ReconnectedB.TotalMilliseconds:0} | {WaitedA.TotalMilliseconds:0}/{WaitedB.TotalMilliseconds:0} | {AToB.TotalMilliseconds:0} / {BToA.TotalMilliseconds:0} | {DroppedA}/{DroppedB}");
    }
}
