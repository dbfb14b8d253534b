using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Chaos;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Group changes and group pushes from 16 threads at once (2,000 operations each) on 200 connections and 20 groups,
/// while other connections open, join groups and close: no exception; every push reaches each connection that was a member
/// throughout exactly once, and no connection gets any push twice; the final membership is exactly what each thread's
/// last change says, and the group count (scope and metric) equals the number of non-empty groups. Runs alone: it uses
/// both cores.
/// </summary>
[Collection(ChaosSerial.Name)]
public sealed class ConcurrentMembershipTests
{
    private const int Stable = 200;
    private const int GroupCount = 20;
    private const int PermanentGroups = 10;
    private const int Threads = 16;
    private const int OperationsPerThread = 2000;
    private const string End = "end";

    private static readonly int[] s_volatileOffsets = [3, 13];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sixteen_threads_adding_removing_and_pushing_while_connections_come_and_go_lose_nothing_duplicate_nothing_and_leave_a_consistent_membership()
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: true);
        using var groupMetric = new MetricSum(app.Services.GetRequiredService<IMeterFactory>(), "WebSocketEcho.Middleware", "websocket.server.push.groups");
        var push = app.Push<AlphaHandler>();
        var scope = app.Scope<AlphaHandler>();

        var members = new Member[Stable];
        await Parallel.ForAsync(0, Stable, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (k, _) =>
            members[k] = await app.ConnectAsync("/ws"));

        // Every stable connection is a member of its permanent group for the whole run (nobody ever removes it).
        for (var k = 0; k < Stable; k++)
        {
            Assert.True(await push.AddToGroupAsync(members[k].Id, Group(Permanent(k)), Ct));
        }

        var received = members.Select(member => Task.Run(() => ReceiveUntilEndAsync(member), Ct)).ToArray();

        // Each (connection, group) pair that may change is owned by one thread, so its final state is that thread's last
        // change; every group and every connection is still changed by many threads at once.
        var pairs = Enumerable.Range(0, Stable).SelectMany(k => s_volatileOffsets.Select(offset => (K: k, G: (k + offset) % GroupCount)))
            .Where(p => p.G != Permanent(p.K)).Distinct().ToArray();
        var states = pairs.ToDictionary(p => p, _ => false);
        var sent = new ConcurrentBag<(int Seq, int[] Groups)>();
        var churnIds = new ConcurrentQueue<string>();
        var sequence = 0;

        using var stopChurn = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var churn = Enumerable.Range(0, 6).Select(worker => Task.Run(() => ChurnAsync(app, push, churnIds, worker, stopChurn.Token), Ct)).ToArray();
        var workers = Enumerable.Range(0, Threads).Select(thread => Task.Run(
            async () =>
            {
                var random = new Random(thread);
                var owned = pairs.Where(p => OwnerOf(p) == thread).ToArray();
                var mine = owned.ToDictionary(p => p, _ => false);
                for (var op = 0; op < OperationsPerThread; op++)
                {
                    // Pushes and group changes complete synchronously here: yield now and then, so 16 busy loops share the
                    // thread pool with the 200 clients' receive loops instead of starving them.
                    if (op % 8 == 0)
                    {
                        await Task.Yield();
                    }

                    // Mostly group changes; 1 in 16 operations is a push (each push is ~25 deliveries to check).
                    var roll = random.Next(64);
                    if (roll < 56)
                    {
                        var pair = owned[random.Next(owned.Length)];
                        var id = members[pair.K].Id;
                        var changed = mine[pair]
                            ? await push.RemoveFromGroupAsync(id, Group(pair.G), Ct)
                            : await push.AddToGroupAsync(id, Group(pair.G), Ct);
                        if (!changed)
                        {
                            Assert.Fail($"{id} is open: a group change on it returns true. Its log: " + string.Join(" | ", app.App.MiddlewareLogs.Where(r => r.Message.Contains(id, StringComparison.Ordinal)).Select(r => r.Message)));
                        }

                        mine[pair] = !mine[pair];
                    }
                    else if (roll < 60)
                    {
                        // A connection that may be open, closing or gone: either answer is fine, neither throws.
                        var recent = churnIds.ToArray();
                        if (recent.Length > 0)
                        {
                            var id = recent[random.Next(recent.Length)];
                            var group = Group(random.Next(GroupCount));
                            _ = random.Next(2) == 0 ? await push.AddToGroupAsync(id, group, Ct) : await push.RemoveFromGroupAsync(id, group, Ct);
                        }
                    }
                    else if (roll < 63)
                    {
                        var group = random.Next(GroupCount);
                        var seq = Interlocked.Increment(ref sequence);
                        sent.Add((seq, [group]));
                        await push.Group(Group(group)).SendTextAsync(seq.ToString(CultureInfo.InvariantCulture), Ct);
                    }
                    else
                    {
                        int[] groups = [random.Next(GroupCount), random.Next(GroupCount), random.Next(GroupCount)];
                        var seq = Interlocked.Increment(ref sequence);
                        sent.Add((seq, groups));
                        await push.Groups(groups.Select(Group)).SendTextAsync(seq.ToString(CultureInfo.InvariantCulture), Ct);
                    }
                }

                lock (states)
                {
                    foreach (var (pair, state) in mine)
                    {
                        states[pair] = state;
                    }
                }
            },
            Ct)).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(3), Ct);
        await stopChurn.CancelAsync();
        await Task.WhenAll(churn).WaitAsync(TimeSpan.FromMinutes(1), Ct);
        await PushApp.WaitUntilAsync(() => scope.ConnectionCount == Stable, "the churned connections to end");

        // The final membership: each group's permanent members plus the pairs whose owner's last change was a join.
        var expected = Enumerable.Range(0, GroupCount).ToDictionary(
            g => g,
            g => Enumerable.Range(0, Stable).Where(k => Permanent(k) == g || (states.TryGetValue((k, g), out var isIn) && isIn)).ToHashSet());
        var finals = new Dictionary<int, int>();
        for (var g = 0; g < GroupCount; g++)
        {
            var seq = Interlocked.Increment(ref sequence);
            finals[seq] = g;
            Assert.Equal(expected[g].Count, (await push.Group(Group(g)).SendTextAsync(seq.ToString(CultureInfo.InvariantCulture), Ct)).Reached);
        }

        Assert.Equal(expected.Count(e => e.Value.Count > 0), scope.GroupCount);
        Assert.Equal(scope.GroupCount, groupMetric.Sum);
        foreach (var member in members)
        {
            Assert.Equal(1, (await push.Connection(member.Id).SendTextAsync(End, Ct)).Reached);
        }

        var churned = (await Task.WhenAll(churn)).Sum();
        var got = await Task.WhenAll(received).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        var permanentPushes = sent.Select(s => (s.Seq, Groups: s.Groups.ToHashSet())).ToArray();
        var known = sent.Select(s => s.Seq).Concat(finals.Keys).ToHashSet();
        for (var k = 0; k < Stable; k++)
        {
            var seqs = got[k];
            Assert.True(seqs.Count == seqs.Distinct().Count(), $"{members[k].Id} got a push twice.");
            Assert.All(seqs, seq => Assert.Contains(seq, known));
            var missing = permanentPushes.Where(p => p.Groups.Contains(Permanent(k))).Select(p => p.Seq).Except(seqs).ToList();
            Assert.True(missing.Count == 0, $"{members[k].Id} (permanent member of {Group(Permanent(k))}) missed {missing.Count} pushes to it.");
            var finalGroups = seqs.Where(finals.ContainsKey).Select(seq => finals[seq]).Order().ToList();
            Assert.Equal(expected.Where(e => e.Value.Contains(k)).Select(e => e.Key).Order().ToList(), finalGroups);
        }

        TestContext.Current.SendDiagnosticMessage(
            $"{Threads} threads x {OperationsPerThread} operations, {sent.Count} group pushes, {churned} churned connections, {got.Sum(g => g.Count)} deliveries checked");
        Assert.DoesNotContain(app.App.MiddlewareLogs, r => r.Level >= LogLevel.Warning);
        foreach (var member in members)
        {
            member.Dispose();
        }
    }

    private static string Group(int g) => "g" + g.ToString(CultureInfo.InvariantCulture);

    private static int Permanent(int k) => k % PermanentGroups;

    private static int OwnerOf((int K, int G) pair) => ((pair.K * GroupCount) + pair.G) % Threads;

    /// <summary>Reads pushes (numbers) until the end marker; returns them in arrival order.</summary>
    private static async Task<List<int>> ReceiveUntilEndAsync(Member member)
    {
        var seqs = new List<int>();
        while (true)
        {
            var message = await member.ReceiveAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(WebSocketMessageType.Text, message.Type);
            var text = message.Text;
            if (text == End)
            {
                return seqs;
            }

            seqs.Add(int.Parse(text, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Opens connections that join a few groups and close (gracefully or not) while the workers run.</summary>
    private static async Task<int> ChurnAsync(PushApp app, IWebSocketPush<AlphaHandler> push, ConcurrentQueue<string> ids, int worker, CancellationToken stop)
    {
        var random = new Random(1000 + worker);
        var opened = 0;
        while (!stop.IsCancellationRequested)
        {
            opened++;
            using var member = await app.ConnectAsync("/ws");
            ids.Enqueue(member.Id);
            while (ids.Count > 8 && ids.TryDequeue(out _))
            {
            }

            for (var i = 0; i < 1 + random.Next(3); i++)
            {
                Assert.True(await push.AddToGroupAsync(member.Id, Group(random.Next(GroupCount)), Ct));
            }

            if (random.Next(2) == 0)
            {
                // Graceful: the close handshake, reading (and dropping) the pushes that arrive meanwhile.
                await member.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
            }
            else
            {
                member.Socket.Abort();
            }
        }

        return opened;
    }
}
