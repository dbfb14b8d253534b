using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Kestrel;

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
