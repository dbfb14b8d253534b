using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Lifecycle;

/// <summary>Host shutdown closes every connection with 1001 Going Away, bounded by CloseTimeout for peers that never answer.</summary>
public sealed class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Host_shutdown_closes_one_connection_with_1001_and_OnDisconnected_reports_ServerShutdown()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        await handler.NextConnectedAsync();

        var receive = client.ReceiveMessageAsync();
        var stop = app.StopAsync();
        var close = await receive;
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await stop.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ServerShutdown, info.Reason);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, info.CloseStatus);
    }

    [Fact]
    public async Task Host_shutdown_closes_every_one_of_several_connections_with_1001_and_each_gets_one_ServerShutdown()
    {
        const int Count = 5;
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        var clients = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < Count; i++)
            {
                clients.Add(await app.ConnectClientAsync(TestApp.HandlerPath));
                await handler.NextConnectedAsync();
            }

            // Each client answers the server's close frame the way a browser does.
            var answered = clients.Select(async client =>
            {
                var close = await client.ReceiveMessageAsync(TimeSpan.FromSeconds(20));
                await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
                return close;
            }).ToList();
            await app.StopAsync().WaitAsync(TimeSpan.FromSeconds(20), Ct);

            foreach (var close in await Task.WhenAll(answered))
            {
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            }

            var ids = new HashSet<string>();
            for (var i = 0; i < Count; i++)
            {
                var (connection, info) = await handler.NextDisconnectedAsync();
                Assert.Equal(DisconnectReason.ServerShutdown, info.Reason);
                Assert.True(ids.Add(connection.Id));
            }

            Assert.Equal(Count, handler.DisconnectedCount);
            var shuttingDown = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 11);
            Assert.Equal(Count.ToString(System.Globalization.CultureInfo.InvariantCulture), shuttingDown.GetStructuredStateValue("Count"));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>
    /// An upgrade while the host is stopping gets 503 "shutting_down" (logged, event 3, and counted in
    /// websocket.server.rejected_upgrades). On Kestrel the window is between ApplicationStopping and the moment Kestrel
    /// stops listening (the next test pins that it refuses connections from then on): here an ApplicationStopping
    /// callback registered before the endpoint, which therefore runs after it, holds the host there, like a pre-stop
    /// delay that lets a load balancer take the instance out. The open connection has its 1001 meanwhile.
    /// </summary>
    [Fact]
    public async Task Upgrade_while_the_host_is_stopping_gets_503_shutting_down_logged_and_counted()
    {
        using var preStopDelay = new ManualResetEventSlim();
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(a =>
        {
            // Bounded, so a failing test cannot hang the host. Callbacks run last registered first.
            a.Lifetime.ApplicationStopping.Register(() => preStopDelay.Wait(TimeSpan.FromSeconds(30)));
            a.UseWebSocketHandler(TestApp.HandlerPath, handler);
        });
        using var rejected = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), WebSocketMetrics.MeterName, "websocket.server.rejected_upgrades");
        await using var open = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        await handler.NextConnectedAsync();

        // StopAsync runs the ApplicationStopping callbacks on the calling thread, and the pre-stop delay blocks it.
        var stop = Task.Run(() => app.StopAsync(), Ct);
        try
        {
            Assert.Equal(1001, (await open.ReadFrameAsync(TimeSpan.FromSeconds(20), Ct)).CloseStatus);

            var refused = await RawWebSocketClient.SendHttpRequestAsync(app.Port, RawWebSocketClient.UpgradeRequest($"127.0.0.1:{app.Port}", TestApp.HandlerPath), Ct);

            Assert.Equal(503, refused.StatusCode);
            Assert.Null(refused.Header("Upgrade"));
            Assert.Null(refused.Header("Sec-WebSocket-Accept"));
            Assert.Equal("The server is shutting down.\n", refused.Body);
            var measurement = Assert.Single(rejected.GetMeasurementSnapshot());
            Assert.Equal(1, measurement.Value);
            Assert.Equal("shutting_down", measurement.Tags["websocket.rejection.reason"]);
            Assert.Equal(TestApp.HandlerPath, measurement.Tags["websocket.endpoint"]);
            var log = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 3);
            Assert.Equal(LogLevel.Information, log.Level);
            Assert.Contains("503", log.Message, StringComparison.Ordinal);
            Assert.Equal(1, handler.ConnectedCount);
        }
        finally
        {
            preStopDelay.Set();
        }

        await open.SendCloseAsync(1001, cancellationToken: Ct);
        await stop.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ServerShutdown, info.Reason);
    }

    /// <summary>
    /// PINS PLATFORM BEHAVIOUR. Once the host's ApplicationStopping callbacks have run, Kestrel stops listening before it
    /// waits for open connections: while a WebSocket that does not answer its 1001 keeps the shutdown waiting, a new
    /// client cannot even connect, so it never reaches the endpoint's 503 "shutting_down".
    /// </summary>
    [Fact]
    public async Task Kestrel_refuses_new_connections_while_an_open_WebSocket_holds_the_graceful_shutdown_pinned()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, o => o.CloseTimeout = TimeSpan.FromSeconds(5));
        await using var silent = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        await handler.NextConnectedAsync();

        var stop = app.StopAsync();
        Assert.Equal(1001, (await silent.ReadFrameAsync(TimeSpan.FromSeconds(20), Ct)).CloseStatus);
        var refused = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            // Kestrel unbinds right after the callbacks; give it a moment, well inside the 5 s the open connection holds it.
            for (var attempt = 0; ; attempt++)
            {
                await using var client = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
                Assert.True(attempt < 20, $"Kestrel still accepted connections during shutdown; the last got {client.Handshake.StatusLine}.");
                await Task.Delay(50, Ct);
            }
        });

        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.False(stop.IsCompleted, "the open connection was to keep the shutdown waiting");
        await silent.SendCloseAsync(1001, cancellationToken: Ct);
        await stop.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.DoesNotContain(app.MiddlewareLogs, r => r.Id.Id == 3);
    }

    [Fact]
    public async Task Host_shutdown_with_a_client_that_never_answers_the_close_frame_aborts_it_after_CloseTimeout()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, o => o.CloseTimeout = TimeSpan.FromSeconds(1));
        await using var silent = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        var connection = await handler.NextConnectedAsync();

        var stop = app.StopAsync();
        var close = await silent.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(1001, close.CloseStatus);

        // Kestrel would wait its 30 s shutdown timeout; CloseTimeout ends the connection long before.
        Assert.True(await silent.WaitForServerCloseAsync(TimeSpan.FromSeconds(15), Ct));
        await stop.WaitAsync(TimeSpan.FromSeconds(15), Ct);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ServerShutdown, info.Reason);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, info.CloseStatus);

        await app.WaitForConnectionClosedLogAsync(connection.Id);
        Assert.Contains(app.MiddlewareLogs, r => r.Id.Id == 12 && r.Level == LogLevel.Debug);
        Assert.All(
            app.MiddlewareLogs.Where(r => r.Id.Id != 11), // the one host-level "shutting down" line is Information
            r => Assert.True(r.Level <= LogLevel.Debug, r.Message));
    }

    [Fact]
    public async Task Host_shutdown_while_the_handler_is_busy_with_a_message_sends_1001_without_waiting_for_it()
    {
        var inHandler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler
        {
            OnMessage = async (_, _) =>
            {
                inHandler.TrySetResult();
                await release.Task;
            },
        };
        await using var app = await TestApp.StartKestrelAsync(handler, o => o.CloseTimeout = TimeSpan.FromSeconds(1));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        await raw.SendTextAsync("hold on", Ct);
        await inHandler.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        var stop = app.StopAsync();
        var close = await raw.ReadUntilCloseAsync(cancellationToken: Ct); // sent while the handler is still busy
        release.SetResult();
        Assert.Equal(1001, close?.CloseStatus);
        await raw.SendCloseAsync(1001, cancellationToken: Ct);
        await stop.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ServerShutdown, info.Reason);
    }
}
