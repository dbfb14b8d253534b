using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>
/// 2,000 concurrent connections on one server: 90% well-behaved echo clients, 10% misbehaving at random (fixed seed).
/// No well-behaved client may lose, reorder or corrupt a reply, and afterwards the server must be back to baseline.
/// </summary>
[Collection(ChaosSerial.Name)]
public sealed class ConcurrentLoadTests
{
    private const int Connections = 2000;
    private const int Misbehaving = Connections / 10;
    private const int MessagesPerClient = 20;
    private const int Seed = 20_060_455;
    private const int MaxMessageSize = 64 * 1024;

    // Stated margins over the warm baseline: the process after it served 2,000 connections once (so Kestrel's block
    // pool, the array pools and the thread pool are at their working size). Measured growth is 6-16 MiB: the test's
    // own records of the run (~45,000 handler events) and array-pool buffers kept for reuse. Connections kept alive
    // are caught exactly (weak references), whatever their size.
    private const long GcHeapMargin = 32L * 1024 * 1024;
    private const long RssMargin = 64L * 1024 * 1024;

    private enum PeerKind
    {
        WellBehaved,
        VanishMidMessage,
        StopReading,
        Garbage,
        Oversized,
        HandlerException,
    }

    [Fact]
    public async Task Two_thousand_concurrent_connections_with_ten_percent_misbehaving_lose_no_message_and_return_to_baseline()
    {
        var fdLimit = ProcessResources.EnsureOpenFiles(3 * Connections + 4096);
        Assert.True(fdLimit >= 2 * Connections + 1024, $"The process may open only {fdLimit} files; 2,000 connections on loopback need about 4,000 (run as root or raise ulimit -n).");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;

        var handler = ChaosServer.EchoHandler();
        var kindOf = new ConcurrentDictionary<string, PeerKind>(StringComparer.Ordinal);
        var connections = new ConcurrentQueue<WeakReference>();
        handler.OnConnected = connection =>
        {
            kindOf[connection.Id] = Enum.Parse<PeerKind>(connection.HttpContext.Request.Query["kind"].ToString());
            connections.Enqueue(new WeakReference(connection));
            return ValueTask.CompletedTask;
        };
        await using var server = await ChaosServer.StartAsync(handler, o =>
        {
            o.MaxMessageSize = MaxMessageSize;

            // The peers that stop reading must be dropped as slow consumers; how soon is not the point. A well-behaved
            // client must never look slow, though, and 2,000 of them on 2 cores can wait seconds for the CPU.
            o.SendTimeout = TimeSpan.FromSeconds(10);
        });
        var cold = server.MeasureMemory();

        // Warm-up at full scale (JIT, Kestrel's block pool, array pools, thread pool), then the warm baseline.
        var warmupWatch = Stopwatch.StartNew();
        var warmup = await RunAsync(server, Enumerable.Repeat(PeerKind.WellBehaved, Connections).ToArray(), messagesPerClient: 2, seed: 1, ct);
        warmupWatch.Stop();
        Assert.True(
            warmup.Failures.IsEmpty,
            string.Join("\n", warmup.Failures.Take(10)) + "\nserver-side disconnect reasons: " + ChaosServer.Count(handler.DisconnectReasons().Values.Select(r => r.ToString())));
        Assert.Equal(0, warmup.Lost);
        Assert.Null(await server.WaitForBaselineAsync(TimeSpan.FromSeconds(30)));
        server.App.Logs.Clear();
        kindOf.Clear();
        var before = server.MeasureMemory();
        var connectedBefore = handler.ConnectedCount;

        // The run: kinds assigned with a fixed seed.
        var random = new Random(Seed);
        var kinds = Enumerable.Repeat(PeerKind.WellBehaved, Connections).ToArray();
        foreach (var index in Enumerable.Range(0, Connections).OrderBy(_ => random.Next()).Take(Misbehaving))
        {
            kinds[index] = (PeerKind)(1 + random.Next(5));
        }

        var stopwatch = Stopwatch.StartNew();
        var run = await RunAsync(server, kinds, MessagesPerClient, Seed, ct);
        stopwatch.Stop();

        var baselineProblem = await server.WaitForBaselineAsync(TimeSpan.FromSeconds(30));
        var reasons = handler.DisconnectReasons();
        var serverOutcomes = reasons.Where(r => kindOf.ContainsKey(r.Key)).GroupBy(r => kindOf[r.Key]).ToDictionary(g => g.Key, g => g.Select(r => r.Value.ToString()).ToList());
        var problems = server.Problems(allowHandlerErrors: true);
        var handlerErrors = server.HandlerErrorLogs;
        var violations = handler.SequenceViolations();
        var unobserved = server.ProductUnobservedExceptions();
        var closeTimedOut = server.App.Logs.GetSnapshot().Count(r => r.Category == Log.Category && r.Id.Id == 12);
        server.App.Logs.Clear();
        var after = server.MeasureMemory();
        var stillAlive = connections.Count(c => c.IsAlive);

        var figures = new ChaosFigures("2,000 concurrent connections, 10% misbehaving")
            .Add("seed", Seed)
            .Add("connections (peak open at once)", $"{Connections} ({run.PeakOpen})")
            .Add("upgrades accepted", run.Accepted)
            .Add("well-behaved clients", kinds.Count(k => k == PeerKind.WellBehaved))
            .Add("misbehaving peers by kind", ChaosServer.Count(kinds.Where(k => k != PeerKind.WellBehaved).Select(k => k.ToString())))
            .Add("messages sent by well-behaved clients", run.Expected)
            .Add("replies verified (in order, intact)", run.Verified)
            .Add("messages lost", run.Lost)
            .Add("client-side outcomes of misbehaving peers", ChaosServer.Count(run.MisbehavingOutcomes))
            .Add("server-side disconnect reasons", string.Join("; ", serverOutcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {ChaosServer.Count(p.Value)}")))
            .Add("handler errors logged (provoked)", handlerErrors)
            .Add("other warnings/errors logged", problems.Count)
            .Add("Kestrel heartbeat-slow warnings (machine saturated; not counted as problems)", server.SaturationWarnings)
            .Add("pooled buffers rented / returned / foreign", $"{server.Pool.Rents} / {server.Pool.Returns} / {server.Pool.ForeignReturns}")
            .Add("server closes that timed out waiting for the peer's close frame (CloseTimeout)", closeTimedOut)
            .Add("memory cold (server started)", cold)
            .Add("memory warm baseline (after 2,000 connections once)", before)
            .Add("memory after the run", after)
            .Add("growth over warm, without Kestrel's idle pool: GC heap / RSS (margins)", $"{ProcessResources.Megabytes(after.GcHeapWithoutPool - before.GcHeapWithoutPool)} / {ProcessResources.Megabytes(after.RssWithoutPool - before.RssWithoutPool)} ({ProcessResources.Megabytes(GcHeapMargin)} / {ProcessResources.Megabytes(RssMargin)})")
            .Add("warm-up (2,000 clients x 2 messages)", $"{warmupWatch.Elapsed.TotalSeconds:0.0} s")
            .Add("connection objects still alive after a full GC (of all opened)", $"{stillAlive} ({connections.Count})")
            .Add("open file descriptors after", ProcessResources.OpenFileDescriptors())
            .Add("duration of the run", $"{stopwatch.Elapsed.TotalSeconds:0.0} s");
        figures.Publish();

        Assert.True(run.Failures.IsEmpty, "Well-behaved clients failed:\n" + string.Join("\n", run.Failures.Take(10)) + "\n" + figures);
        Assert.Equal(Connections, run.Accepted);
        Assert.Equal(Connections, run.PeakOpen);
        Assert.Equal(run.Expected, run.Verified);
        Assert.Equal(0, run.Lost);
        Assert.Null(baselineProblem);
        Assert.Equal(Connections, handler.ConnectedCount - connectedBefore);
        Assert.Empty(violations);
        Assert.Equal(handler.ConnectedCount, handler.DisconnectedCount);
        Assert.Equal(0, server.Pool.ForeignReturns);
        Assert.Equal(server.Pool.Rents, server.Pool.Returns);
        Assert.True(problems.Count == 0, ChaosServer.Describe(problems));
        Assert.Empty(unobserved);

        // Each kind ended the way the limits say it must.
        Assert.All(serverOutcomes[PeerKind.WellBehaved], r => Assert.Equal(nameof(DisconnectReason.ClosedByPeer), r));
        Assert.All(serverOutcomes.GetValueOrDefault(PeerKind.Oversized, []), r => Assert.Equal(nameof(DisconnectReason.MessageTooBig), r));
        Assert.All(serverOutcomes.GetValueOrDefault(PeerKind.HandlerException, []), r => Assert.Equal(nameof(DisconnectReason.HandlerError), r));
        Assert.All(serverOutcomes.GetValueOrDefault(PeerKind.VanishMidMessage, []), r => Assert.Equal(nameof(DisconnectReason.ConnectionLost), r));
        Assert.All(serverOutcomes.GetValueOrDefault(PeerKind.StopReading, []), r => Assert.Equal(nameof(DisconnectReason.SlowConsumer), r));
        Assert.Equal(kinds.Count(k => k == PeerKind.HandlerException), handlerErrors);
        Assert.DoesNotContain(run.MisbehavingOutcomes, o => o.StartsWith("unexpected", StringComparison.Ordinal));

        Assert.Equal(0, stillAlive);
        Assert.True(after.GcHeapWithoutPool - before.GcHeapWithoutPool <= GcHeapMargin, figures.ToString());
        Assert.True(after.RssWithoutPool - before.RssWithoutPool <= RssMargin, figures.ToString());
    }

    /// <summary>Opens every peer, waits until all are open at once, then lets each do its part; returns what the clients saw.</summary>
    private static async Task<RunResult> RunAsync(ChaosServer server, PeerKind[] kinds, int messagesPerClient, int seed, CancellationToken ct)
    {
        var result = new RunResult();
        var allOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        using var connectThrottle = new SemaphoreSlim(64);

        void Arrive()
        {
            if (Interlocked.Increment(ref arrived) == kinds.Length)
            {
                // The server registers a connection just after its 101 went out: wait for it to count them all.
                _ = Task.Run(
                    async () =>
                {
                        await server.Endpoint.Registry.WaitForCountAsync(kinds.Length, TimeSpan.FromSeconds(10));
                        result.PeakOpen = server.Endpoint.Registry.Count;
                        allOpen.TrySetResult();
                    },
                    CancellationToken.None);
            }
        }

        var peers = kinds.Select((kind, id) => Task.Run(
            async () =>
            {
                var random = new Random(seed * 31 + id);
                try
                {
                    if (kind == PeerKind.WellBehaved)
                    {
                        await RunWellBehavedAsync(server, id, messagesPerClient, random, connectThrottle, Arrive, allOpen.Task, result, ct);
                    }
                    else
                    {
                        await RunMisbehavingAsync(server, kind, id, random, connectThrottle, Arrive, allOpen.Task, result, ct);
                    }
                }
                catch (Exception ex) when (kind == PeerKind.WellBehaved)
                {
                    result.Failures.Enqueue($"client {id}: {ex.GetType().Name}: {ex.Message}");
                }
                catch (Exception ex)
                {
                    result.MisbehavingOutcomes.Enqueue($"unexpected {kind}: {ex.GetType().Name}: {ex.Message}");
                }
            },
            ct)).ToArray();

        await Task.WhenAll(peers);
        return result;
    }

    private static async Task RunWellBehavedAsync(
        ChaosServer server, int id, int messagesPerClient, Random random, SemaphoreSlim throttle, Action arrive, Task allOpen, RunResult result, CancellationToken ct)
    {
        using var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        bool connected;
        await throttle.WaitAsync(ct);
        try
        {
            await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws?kind=WellBehaved&id={id}"), ct);
            connected = true;
            Interlocked.Increment(ref result.Accepted);
        }
        finally
        {
            throttle.Release();
            arrive();
        }

        Assert.True(connected);
        await allOpen.WaitAsync(ct);

        var messages = Enumerable.Range(0, messagesPerClient).Select(seq => MakeMessage(id, seq, random)).ToArray();
        Interlocked.Add(ref result.Expected, messages.Length);

        // Send everything while reading the replies: order and content are checked one by one.
        var sender = Task.Run(
            async () =>
            {
                foreach (var (type, payload) in messages)
                {
                    await client.SendAsync(payload, type, endOfMessage: true, ct);
                }
            },
            ct);
        var buffer = new byte[MaxMessageSize];
        var verified = 0;
        try
        {
            for (var i = 0; i < messages.Length; i++)
            {
                var length = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await client.ReceiveAsync(buffer.AsMemory(length), ct);
                    length += received.Count;
                }
                while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

                if (received.MessageType != messages[i].Type || !buffer.AsSpan(0, length).SequenceEqual(messages[i].Payload))
                {
                    result.Failures.Enqueue($"client {id}: reply {i} is {received.MessageType} of {length} bytes, expected {messages[i].Type} of {messages[i].Payload.Length}");
                    break;
                }

                verified++;
            }
        }
        finally
        {
            Interlocked.Add(ref result.Verified, verified);
            Interlocked.Add(ref result.Lost, messages.Length - verified);
        }

        await sender;
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
    }

    private static async Task RunMisbehavingAsync(
        ChaosServer server, PeerKind kind, int id, Random random, SemaphoreSlim throttle, Action arrive, Task allOpen, RunResult result, CancellationToken ct)
    {
        RawWebSocketClient client;
        await throttle.WaitAsync(ct);
        try
        {
            var path = $"/ws?kind={kind}&id={id}";
            client = kind == PeerKind.StopReading
                ? await RawWebSocketClient.ConnectAsync(server.Port, path, static socket => socket.ReceiveBufferSize = 4096, cancellationToken: ct)
                : await RawWebSocketClient.ConnectAsync(server.Port, path, cancellationToken: ct);
            Assert.Equal(101, client.Handshake.StatusCode);
            Interlocked.Increment(ref result.Accepted);
        }
        finally
        {
            throttle.Release();
            arrive();
        }

        await using (client)
        {
            await allOpen.WaitAsync(ct);

            // Misbehave at a random moment while the well-behaved clients are busy.
            await Task.Delay(random.Next(0, 1000), ct);
            var outcome = kind switch
            {
                PeerKind.VanishMidMessage => await VanishMidMessageAsync(client, random, ct),
                PeerKind.StopReading => await StopReadingAsync(client, ct),
                PeerKind.Garbage => await SendGarbageAsync(client, random, ct),
                PeerKind.Oversized => await ExpectCloseAsync(client, RawWebSocketClient.BuildFrame(Frame.Binary, new byte[MaxMessageSize + 1 + random.Next(64 * 1024)]), 1009, ct),
                _ => await ExpectCloseAsync(client, RawWebSocketClient.BuildFrame(Frame.Text, "boom"u8), 1011, ct),
            };
            result.MisbehavingOutcomes.Enqueue(outcome);
        }
    }

    private static async Task<string> VanishMidMessageAsync(RawWebSocketClient client, Random random, CancellationToken ct)
    {
        await client.SendTextAsync("one whole message first", ct);

        // The server's keep-alive may ping first: a run on a loaded machine keeps peers waiting longer than its interval.
        var echo = await client.ReadFrameAsync(TimeSpan.FromSeconds(60), ct);
        while (echo.Opcode == Frame.Ping)
        {
            echo = await client.ReadFrameAsync(TimeSpan.FromSeconds(60), ct);
        }

        if (echo.Opcode != Frame.Text || echo.TextPayload != "one whole message first")
        {
            return "unexpected echo " + echo;
        }

        // A frame header announcing 2,000 bytes, some of them, then a TCP reset.
        var frame = RawWebSocketClient.BuildFrame(Frame.Binary, new byte[2000]);
        await client.WriteRawAsync(frame.AsMemory(0, 8 + random.Next(1000)), ct);
        client.Reset();
        return "VanishMidMessage: reset";
    }

    private static async Task<string> StopReadingAsync(RawWebSocketClient client, CancellationToken ct)
    {
        // Ask for up to 16 MiB of echoes and read none of them: the server's sends block, then it stops reading us,
        // then our writes block too, until the server gives up on us (SendTimeout) and resets the connection.
        using var writeLimit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        writeLimit.CancelAfter(TimeSpan.FromSeconds(30));
        var chunk = RawWebSocketClient.BuildFrame(Frame.Binary, new byte[32 * 1024]);
        try
        {
            for (var i = 0; i < 512; i++)
            {
                await client.WriteRawAsync(chunk, writeLimit.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
        {
            // The server gave up on us (or our writes stayed blocked).
        }

        return await client.WaitForServerCloseAsync(TimeSpan.FromSeconds(60), ct) ? "StopReading: closed by server" : "unexpected StopReading: still open";
    }

    private static async Task<string> SendGarbageAsync(RawWebSocketClient client, Random random, CancellationToken ct)
    {
        var garbage = new byte[16 + random.Next(2048)];
        random.NextBytes(garbage);
        try
        {
            await client.WriteRawAsync(garbage, ct);
            client.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return "Garbage: reset while writing";
        }

        Frame? close;
        try
        {
            close = await client.ReadUntilCloseAsync(TimeSpan.FromSeconds(60), ct);
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException)
        {
            close = null;
        }

        if (close is not null && (close.CloseStatus is not { } status || !CloseStatusRules.IsSendable((WebSocketCloseStatus)status)))
        {
            return "unexpected Garbage close " + close;
        }

        var closed = await client.WaitForServerCloseAsync(TimeSpan.FromSeconds(60), ct);
        return !closed ? "unexpected Garbage: still open" : close is null ? "Garbage: TCP close" : $"Garbage: close {close.CloseStatus}";
    }

    private static async Task<string> ExpectCloseAsync(RawWebSocketClient client, byte[] frame, int expected, CancellationToken ct)
    {
        await client.WriteRawAsync(frame, ct);
        var close = await client.ReadUntilCloseAsync(TimeSpan.FromSeconds(60), ct);
        if (close?.CloseStatus != expected)
        {
            return $"unexpected close {close} instead of {expected}";
        }

        try
        {
            await client.SendCloseAsync(expected, cancellationToken: ct);
        }
        catch (IOException)
        {
            // Under this load our answer can come later than CloseTimeout: the server has already closed TCP.
            return $"close {expected}, answered after the server's CloseTimeout";
        }

        return await client.WaitForServerCloseAsync(TimeSpan.FromSeconds(60), ct) ? $"close {expected}" : $"unexpected: open after close {expected}";
    }

    /// <summary>A message unique to (client, sequence): text (with non-ASCII characters) or binary, mostly small, sometimes up to 16 KiB.</summary>
    private static (WebSocketMessageType Type, byte[] Payload) MakeMessage(int id, int seq, Random random)
    {
        var length = random.Next(10) == 0 ? random.Next(1, 16 * 1024) : random.Next(1, 256);
        if (random.Next(2) == 0)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            bytes[0] = (byte)seq;
            return (WebSocketMessageType.Binary, bytes);
        }

        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 éßπ€😀";
        var runes = alphabet.EnumerateRunes().ToArray();
        var text = new StringBuilder($"{id}:{seq}:");
        while (text.Length < length)
        {
            text.Append(runes[random.Next(runes.Length)].ToString());
        }

        return (WebSocketMessageType.Text, Encoding.UTF8.GetBytes(text.ToString()));
    }

    private sealed class RunResult
    {
        public int Accepted;
        public int PeakOpen;
        public long Expected;
        public long Verified;
        public long Lost;

        public ConcurrentQueue<string> Failures { get; } = new();

        public ConcurrentQueue<string> MisbehavingOutcomes { get; } = new();
    }
}
