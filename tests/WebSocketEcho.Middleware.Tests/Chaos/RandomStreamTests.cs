using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>
/// Seeded random input after a valid handshake: raw byte streams, and sequences of valid and invalid frames. Whatever
/// arrives, the server answers with valid frames, ends with a close frame whose status it may send or a plain TCP
/// close, closes TCP within the close timeout, never logs a warning or error, and returns to baseline.
/// Case <c>i</c> uses <c>new Random(Seed + i)</c>, so a failing case can be replayed alone. All 3,000 cases run, every
/// time: the count is what the test claims, and only the time it may take is loose (about 20 s on a busy 2-core
/// machine; <see cref="s_timeBudget"/> is the bound).
/// </summary>
[Collection(ChaosSerial.Name)]
public sealed class RandomStreamTests
{
    private const int Seed = 6455;
    private const int Cases = 3000;
    private const int Workers = 16;
    private const int MaxMessageSize = 64 * 1024;
    private static readonly TimeSpan s_timeBudget = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(2);

    // Close codes a peer may or may not send (RFC 6455 section 7.4): valid, reserved, out of range.
    private static readonly int[] s_closeCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999, 0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 5000, 65535];

    [Fact]
    public async Task Thousands_of_seeded_random_streams_and_frame_sequences_always_end_cleanly_within_the_close_timeout()
    {
        ProcessResources.EnsureOpenFiles(4096);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_timeBudget);
        var ct = timeout.Token;

        var handler = ChaosServer.EchoHandler();
        var server = await ChaosServer.StartAsync(handler, o =>
        {
            o.MaxMessageSize = MaxMessageSize;
            o.CloseTimeout = s_closeTimeout;
        });
        await using var disposeServer = server;

        var outcomes = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<string>();
        var bytesSent = 0L;
        var slowest = new ConcurrentQueue<(TimeSpan Took, string Case)>();
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(
            async () =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < Cases && !ct.IsCancellationRequested)
                {
                    try
                    {
                        var (outcome, sent, tookToClose) = await RunCaseAsync(server.Port, index, ct);
                        outcomes.Enqueue(outcome);
                        Interlocked.Add(ref bytesSent, sent);
                        slowest.Enqueue((tookToClose, $"case {index}: {outcome}"));
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        failures.Enqueue($"case {index} (new Random({Seed} + {index})): {ex.GetType().Name}: {ex.Message}");
                    }
                    catch (Exception) when (ct.IsCancellationRequested)
                    {
                        // Out of time: the count below says how many cases finished.
                    }
                }
            },
            CancellationToken.None)).ToArray();
        await Task.WhenAll(workers);
        stopwatch.Stop();
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();

        var baselineProblem = await server.WaitForBaselineAsync(TimeSpan.FromSeconds(30));
        var problems = server.Problems(allowHandlerErrors: false);
        var done = outcomes.Count + failures.Count;
        new ChaosFigures("Seeded random streams and frame sequences")
            .Add("seed", Seed)
            .Add("cases run (of planned)", $"{done} ({Cases})")
            .Add("bytes sent after handshakes", bytesSent)
            .Add("client-side outcomes", ChaosServer.Count(outcomes))
            .Add("server-side disconnect reasons", ChaosServer.Count(handler.DisconnectReasons().Values.Select(r => r.ToString())))
            .Add("CloseTimeout", s_closeTimeout)
            .Add("slowest TCP closes after the last byte sent", string.Join("; ", slowest.OrderByDescending(c => c.Took).Take(3).Select(c => $"{c.Took.TotalSeconds:0.00} s ({c.Case})")))
            .Add("failures", failures.Count)
            .Add("warnings/errors logged", problems.Count)
            .Add("Kestrel heartbeat-slow warnings (machine saturated; not counted as problems)", server.SaturationWarnings)
            .Add("pooled buffers rented / returned", $"{server.Pool.Rents} / {server.Pool.Returns}")
            .Add("duration", $"{stopwatch.Elapsed.TotalSeconds:0.0} s")
            .Publish();

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        Assert.True(done == Cases, $"only {done} of the {Cases} cases finished within {s_timeBudget}: the count is fixed, only the time is loose, and this run exceeded even that");
        Assert.Null(baselineProblem);
        Assert.True(problems.Count == 0, ChaosServer.Describe(problems));
        Assert.Empty(handler.SequenceViolations());
        Assert.Equal(handler.ConnectedCount, handler.DisconnectedCount);
        Assert.Equal(done, handler.ConnectedCount);
        Assert.Equal(server.Pool.Rents, server.Pool.Returns);
        Assert.Empty(server.ProductUnobservedExceptions());
    }

    private static async Task<(string Outcome, long Sent, TimeSpan TookToClose)> RunCaseAsync(int port, int index, CancellationToken ct)
    {
        var random = new Random(Seed + index);
        var (bytes, halfClose, kind) = Generate(random);

        await using var client = await RawWebSocketClient.ConnectAsync(port, "/ws", cancellationToken: ct);
        if (client.Handshake.StatusCode != 101)
        {
            throw new InvalidOperationException($"handshake answered {client.Handshake.StatusCode}");
        }

        var wrote = "all";
        try
        {
            await client.WriteRawAsync(bytes, ct);
            if (halfClose)
            {
                client.Socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            wrote = "reset while writing";
        }

        // Read everything the server sends until it closes TCP; it must do so within the close timeout (and a margin
        // for a loaded machine).
        var sentAt = Stopwatch.StartNew();
        var limit = s_closeTimeout + TimeSpan.FromSeconds(5);
        Frame? close = null;
        var frames = 0;
        while (true)
        {
            var remaining = limit - sentAt.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"{kind}: the server did not close TCP within {limit}");
            }

            Frame? frame;
            try
            {
                frame = await client.ReadFrameOrEndAsync(remaining, ct);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{kind}: the server did not close TCP within {limit}");
            }
            catch (Exception ex) when (ex is IOException or EndOfStreamException)
            {
                break; // TCP reset
            }

            if (frame is null)
            {
                break;
            }

            frames++;
            if (close is not null && frame.Opcode != Frame.Pong)
            {
                // RFC 6455 5.5.1: no data frame after a close frame (a pong answering the peer's ping is allowed).
                throw new InvalidOperationException($"{kind}: the server sent {frame} after its close frame");
            }

            if (frame.Masked || frame.Rsv != 0 || frame.Opcode is not (Frame.Text or Frame.Binary or Frame.Close or Frame.Ping or Frame.Pong) || (frame.Opcode == Frame.Text && !IsUtf8(frame.Payload)))
            {
                throw new InvalidOperationException($"{kind}: the server sent an invalid frame {frame}");
            }

            if (frame.Opcode == Frame.Close && close is null)
            {
                if (frame.CloseStatus is not { } status || !CloseStatusRules.IsSendable((WebSocketCloseStatus)status) || !IsUtf8(frame.Payload.AsSpan(2)))
                {
                    throw new InvalidOperationException($"{kind}: the server closed with an invalid close frame {frame}");
                }

                close = frame;
            }
        }

        // Everything we sent ends with our close frame: whatever came before it, the server answers with a close frame
        // (its own status, or ours echoed) and lets it reach us before closing TCP.
        if (close is null && !halfClose && wrote == "all")
        {
            throw new InvalidOperationException($"{kind}: the server closed TCP without a close frame ({frames} frames received)");
        }

        var ending = close is null ? "TCP close" : "close " + close.CloseStatus?.ToString(CultureInfo.InvariantCulture);
        return ($"{kind}, {ending}{(wrote == "all" ? string.Empty : ", " + wrote)}", bytes.Length, sentAt.Elapsed);
    }

    /// <summary>A case: a raw byte stream, or 1 to 8 random frames (valid or not), ended by a close frame or a half-close.</summary>
    private static (byte[] Bytes, bool HalfClose, string Kind) Generate(Random random)
    {
        if (random.Next(4) == 0)
        {
            var raw = new byte[1 + random.Next(2048)];
            random.NextBytes(raw);
            return (raw, true, "random bytes");
        }

        var stream = new MemoryStream();
        var count = 1 + random.Next(8);
        for (var i = 0; i < count; i++)
        {
            stream.Write(RandomFrame(random));
        }

        var halfClose = random.Next(2) == 0;
        if (!halfClose)
        {
            stream.Write(RawWebSocketClient.BuildFrame(Frame.Close, RawWebSocketClient.ClosePayload(1000), maskKey: (uint)random.Next()));
        }

        return (stream.ToArray(), halfClose, halfClose ? "frames + half-close" : "frames + close");
    }

    private static byte[] RandomFrame(Random random)
    {
        var roll = random.Next(100);
        byte opcode = roll switch
        {
            < 25 => Frame.Text,
            < 45 => Frame.Binary,
            < 60 => Frame.Continuation,
            < 70 => Frame.Ping,
            < 75 => Frame.Pong,
            < 82 => Frame.Close,
            _ => (byte)(random.Next(2) == 0 ? 3 + random.Next(5) : 11 + random.Next(5)),
        };
        var control = opcode >= 8;
        var fin = control || random.Next(5) != 0 ? random.Next(20) != 0 : false;
        var rsv = random.Next(10) == 0 ? (byte)(1 + random.Next(7)) : (byte)0;
        var mask = random.Next(20) != 0;

        byte[] payload;
        if (opcode == Frame.Close && random.Next(6) != 0)
        {
            var reason = random.Next(3) switch
            {
                0 => string.Empty,
                1 => RandomText(random, random.Next(40)),
                _ => null,
            };
            payload = RawWebSocketClient.ClosePayload(s_closeCodes[random.Next(s_closeCodes.Length)], reason ?? string.Empty);
            if (reason is null)
            {
                payload = [.. payload, 0xC0, 0xAF]; // an invalid UTF-8 reason
            }
        }
        else
        {
            var length = control
                ? (random.Next(20) == 0 ? 126 + random.Next(200) : random.Next(126))
                : random.Next(20) == 0 ? random.Next(MaxMessageSize - 1000, MaxMessageSize + 8000) : random.Next(300);
            if (opcode == Frame.Text && random.Next(4) != 0)
            {
                payload = Encoding.UTF8.GetBytes(RandomText(random, length / 2));
            }
            else
            {
                payload = new byte[length];
                random.NextBytes(payload);
            }
        }

        return RawWebSocketClient.BuildFrame(opcode, payload, fin, mask, rsv, (uint)random.Next());
    }

    private static string RandomText(Random random, int length)
    {
        var runes = "abc xyz éß€😀\u0000\uFFFF".EnumerateRunes().ToArray();
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            text.Append(runes[random.Next(runes.Length)].ToString());
        }

        return text.ToString();
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}
