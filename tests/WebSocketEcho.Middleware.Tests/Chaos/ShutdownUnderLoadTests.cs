using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>Stopping the host while hundreds of connections are busy: everyone gets 1001, within the close timeout, and the handler contract holds.</summary>
[Collection(ChaosSerial.Name)]
public sealed class ShutdownUnderLoadTests
{
    private const int BusyClients = 300;
    private const int SilentPeers = 30;
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Stopping_the_host_under_load_closes_every_connection_with_1001_within_the_close_timeout_and_no_callback_follows_disconnected()
    {
        ProcessResources.EnsureOpenFiles(4096);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;

        var handler = ChaosServer.EchoHandler();
        var server = await ChaosServer.StartAsync(handler, o => o.CloseTimeout = s_closeTimeout);
        await using var disposeServer = server;

        var echoedTwice = new CountdownEvent(BusyClients + SilentPeers);
        var closes = new ConcurrentQueue<(string Who, int? Status, TimeSpan At)>();
        var failures = new ConcurrentQueue<string>();
        var stopwatch = new Stopwatch();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var busy = Enumerable.Range(0, BusyClients).Select(id => Task.Run(
            async () =>
            {
                try
                {
                    await RunBusyClientAsync(server, id, echoedTwice, closes, stopwatch, ct);
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"busy {id}: {ex.GetType().Name}: {ex.Message}");
                }
            },
            ct));
        var silent = Enumerable.Range(0, SilentPeers).Select(id => Task.Run(
            async () =>
            {
                try
                {
                    await RunSilentPeerAsync(server, id, echoedTwice, closes, stopwatch, stopping.Task, ct);
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"silent {id}: {ex.GetType().Name}: {ex.Message}");
                }
            },
            ct));
        var clients = busy.Concat(silent).ToArray();

        // Everyone is open and has exchanged messages; the busy ones keep sending. Now stop the host.
        Assert.True(echoedTwice.Wait(TimeSpan.FromSeconds(60), ct), $"{echoedTwice.CurrentCount} clients did not get going");
        Assert.Equal(BusyClients + SilentPeers, server.Endpoint.Registry.Count);
        stopwatch.Start();
        stopping.SetResult();
        await server.App.StopAsync().WaitAsync(TimeSpan.FromSeconds(60), ct);
        var stopTook = stopwatch.Elapsed;
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60), ct);

        var reasons = handler.DisconnectReasons();
        var problems = server.Problems(allowHandlerErrors: false);
        var latest = closes.Max(c => c.At);
        new ChaosFigures("Graceful shutdown under load")
            .Add("connections at StopAsync (busy echo clients + silent peers that never answer the close)", $"{BusyClients + SilentPeers} ({BusyClients} + {SilentPeers})")
            .Add("messages handled before and during shutdown", handler.Events.Count(e => e.StartsWith("message:", StringComparison.Ordinal)))
            .Add("close statuses received by clients", ChaosServer.Count(closes.Select(c => c.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")))
            .Add("server-side disconnect reasons", ChaosServer.Count(reasons.Values.Select(r => r.ToString())))
            .Add("CloseTimeout", s_closeTimeout)
            .Add("StopAsync took", stopTook)
            .Add("last connection closed (TCP) after StopAsync began", latest)
            .Add("warnings/errors logged", problems.Count)
            .Add("Kestrel heartbeat-slow warnings (machine saturated; not counted as problems)", server.SaturationWarnings)
            .Publish();

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        Assert.Equal(BusyClients + SilentPeers, closes.Count);
        Assert.All(closes, c => Assert.Equal(1001, c.Status));
        Assert.Equal(BusyClients + SilentPeers, reasons.Count);
        Assert.All(reasons.Values, r => Assert.Equal(DisconnectReason.ServerShutdown, r));
        Assert.Empty(handler.SequenceViolations());
        Assert.True(problems.Count == 0, ChaosServer.Describe(problems));
        Assert.Equal(0, server.Endpoint.Registry.Count);
        Assert.Equal(server.Pool.Rents, server.Pool.Returns);

        // Silent peers are cut off by CloseTimeout (checked by a heartbeat at a quarter of it); allow for a loaded machine.
        var bound = s_closeTimeout + TimeSpan.FromSeconds(5);
        Assert.True(latest <= bound, $"a connection was still open {latest} after StopAsync began (bound {bound})");
        Assert.True(stopTook <= bound, $"StopAsync took {stopTook} (bound {bound})");
    }

    [Fact]
    public async Task Handler_reply_that_fails_because_the_host_began_stopping_is_not_logged_as_a_handler_error()
    {
        var inHandler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sendFailure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler
        {
            OnMessage = async (connection, message) =>
            {
                inHandler.SetResult();
                await release.Task;
                try
                {
                    await connection.SendTextAsync("late reply");
                }
                catch (Exception ex)
                {
                    sendFailure.SetResult(ex);
                    throw;
                }
            },
        };
        var server = await ChaosServer.StartAsync(handler, _ => { });
        await using var disposeServer = server;
        using var handlerErrors = new MetricSum(
            server.App.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), WebSocketMetrics.MeterName, "websocket.server.handler_errors");
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws"), TestContext.Current.CancellationToken);
        await client.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        await inHandler.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        // The host stops while the handler is busy: the 1001 goes out, then the handler's reply fails.
        var stop = server.App.StopAsync();
        var result = await client.ReceiveAsync(new byte[64], TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
        release.SetResult();
        Assert.IsType<WebSocketException>(await sendFailure.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);
        await stop.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(DisconnectReason.ServerShutdown, Assert.Single(handler.DisconnectReasons()).Value);
        Assert.True(server.Problems(allowHandlerErrors: false).Count == 0, ChaosServer.Describe(server.Problems(allowHandlerErrors: false)));
        Assert.Equal(0, handlerErrors.Sum);
    }

    /// <summary>Echoes as fast as it can until the server's close frame arrives, then answers it.</summary>
    private static async Task RunBusyClientAsync(
        ChaosServer server, int id, CountdownEvent echoedTwice, ConcurrentQueue<(string, int?, TimeSpan)> closes, Stopwatch sinceStop, CancellationToken ct)
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws"), ct);
        var buffer = new byte[1024];
        for (var i = 0; ; i++)
        {
            var text = $"busy {id} message {i}";
            try
            {
                await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
            }
            catch (WebSocketException) when (client.State != WebSocketState.Open)
            {
                // The close frame arrived while we were sending; read it below.
            }

            var result = await client.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                closes.Enqueue(($"busy {id}", (int?)result.CloseStatus, sinceStop.Elapsed));
                return;
            }

            Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, result.Count));
            if (i == 1)
            {
                echoedTwice.Signal();
            }
        }
    }

    /// <summary>Exchanges two messages, then reads but never answers the close frame; the server must drop it after CloseTimeout.</summary>
    private static async Task RunSilentPeerAsync(
        ChaosServer server, int id, CountdownEvent echoedTwice, ConcurrentQueue<(string, int?, TimeSpan)> closes, Stopwatch sinceStop, Task stopping, CancellationToken ct)
    {
        await using var client = await RawWebSocketClient.ConnectAsync(server.Port, "/ws", cancellationToken: ct);
        for (var i = 0; i < 2; i++)
        {
            await client.SendTextAsync($"silent {id} message {i}", ct);
            Assert.Equal($"silent {id} message {i}", (await client.ReadFrameAsync(TimeSpan.FromSeconds(60), ct)).TextPayload);
        }

        echoedTwice.Signal();
        await stopping.WaitAsync(ct);
        var close = await client.ReadUntilCloseAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(await client.WaitForServerCloseAsync(TimeSpan.FromSeconds(30), ct), "the server never closed TCP");
        closes.Enqueue(($"silent {id}", close?.CloseStatus, sinceStop.Elapsed));
    }
}
