using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Middleware.Testing;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Lifecycle;

/// <summary>The handler contract: callback order, exactly one disconnect, per-connection state, the closed token, sends after the end.</summary>
public sealed class LifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Callbacks_come_connected_then_messages_in_order_then_one_disconnect_with_ClosedByPeer_and_the_peer_status()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        for (var i = 1; i <= 5; i++)
        {
            await client.SendTextAsync(new string('x', i), Ct);
        }

        await client.SendBinaryAsync(new byte[7], Ct);
        for (var i = 0; i < 6; i++)
        {
            await client.ReceiveAsync(Ct);
        }

        await client.CloseAsync((WebSocketCloseStatus)4000, "bye", Ct);
        var (disconnected, info) = await handler.NextDisconnectedAsync();
        await app.WaitForConnectionClosedLogAsync(connection.Id);

        Assert.Same(connection, disconnected);
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
        Assert.Equal((WebSocketCloseStatus)4000, info.CloseStatus);
        Assert.Equal("bye", info.CloseStatusDescription);
        Assert.Null(info.Error);
        Assert.Equal(
            [
                $"connected:{connection.Id}",
                $"message:{connection.Id}:text:1",
                $"message:{connection.Id}:text:2",
                $"message:{connection.Id}:text:3",
                $"message:{connection.Id}:text:4",
                $"message:{connection.Id}:text:5",
                $"message:{connection.Id}:binary:7",
                $"disconnected:{connection.Id}:ClosedByPeer",
            ],
            handler.EventsOf(connection.Id));
    }

    [Fact]
    public async Task Messages_sent_back_to_back_without_waiting_reach_the_handler_whole_and_in_order()
    {
        var handler = new RecordingHandler { OnMessage = static (_, _) => ValueTask.CompletedTask };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();

        for (var i = 0; i < 100; i++)
        {
            await client.SendTextAsync($"message {i}", Ct);
        }

        await client.CloseAsync(cancellationToken: Ct);
        await handler.NextDisconnectedAsync();

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"message {i}"), handler.Messages.Select(m => Encoding.UTF8.GetString(m.Payload)));
    }

    [Fact]
    public async Task Each_connection_gets_one_disconnect_when_many_connect_and_close()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);

        var clients = new List<WebSocketTestClient>();
        for (var i = 0; i < 10; i++)
        {
            clients.Add(await app.ConnectTestClientAsync());
        }

        foreach (var client in clients)
        {
            await client.CloseAsync(cancellationToken: Ct);
            await client.DisposeAsync();
        }

        var ids = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            var (connection, info) = await handler.NextDisconnectedAsync();
            Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
            Assert.True(ids.Add(connection.Id), "one disconnect per connection");
        }

        foreach (var id in ids)
        {
            await app.WaitForConnectionClosedLogAsync(id);
        }

        Assert.Equal(10, handler.ConnectedCount);
        Assert.Equal(10, handler.DisconnectedCount);
    }

    [Fact]
    public async Task Connection_id_is_unique_and_routable_and_the_HttpContext_is_the_upgrade_request()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync(TestApp.HandlerPath + "?room=blue");
        var connection = await handler.NextConnectedAsync();

        // {instance}-{sequence}: the instance part lets a backplane route a push for this connection to this instance.
        Assert.Matches("^[a-z2-7]{10}-[0-9a-f]+$", connection.Id);
        Assert.NotEqual(connection.HttpContext.TraceIdentifier, connection.Id);
        Assert.Equal("blue", connection.HttpContext.Request.Query["room"]);
        Assert.Equal(WebSocketState.Open, connection.State);
    }

    [Fact]
    public async Task Items_keep_per_connection_state_from_OnConnected_to_OnMessage()
    {
        var handler = new RecordingHandler
        {
            OnConnected = static c =>
            {
                c.Items["room"] = c.HttpContext.Request.Query["room"].ToString();
                c.Items["count"] = 0;
                return ValueTask.CompletedTask;
            },
            OnMessage = static (c, _) =>
            {
                var count = (int)c.Items["count"]! + 1;
                c.Items["count"] = count;
                return c.SendTextAsync($"{c.Items["room"]} {count}");
            },
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var blue = await app.ConnectTestClientAsync(TestApp.HandlerPath + "?room=blue");
        await using var red = await app.ConnectTestClientAsync(TestApp.HandlerPath + "?room=red");

        Assert.Equal("blue 1", await blue.RoundTripAsync("a"));
        Assert.Equal("red 1", await red.RoundTripAsync("a"));
        Assert.Equal("blue 2", await blue.RoundTripAsync("a"));
    }

    [Fact]
    public async Task ConnectionClosed_token_stays_uncancelled_while_open_and_fires_when_the_connection_ends()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionClosed.Register(() => fired.TrySetResult());

        Assert.Equal("ping", await client.RoundTripAsync("ping"));
        Assert.False(connection.ConnectionClosed.IsCancellationRequested);

        await client.CloseAsync(cancellationToken: Ct);
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(connection.ConnectionClosed.IsCancellationRequested);
    }

    [Fact]
    public async Task ConnectionClosed_has_fired_by_the_time_OnDisconnected_runs()
    {
        var firedBeforeDisconnect = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler
        {
            OnDisconnected = (c, _) =>
            {
                firedBeforeDisconnect.TrySetResult(c.ConnectionClosed.IsCancellationRequested);
                return ValueTask.CompletedTask;
            },
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();

        await client.CloseAsync(cancellationToken: Ct);

        Assert.True(await firedBeforeDisconnect.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task Sends_in_OnDisconnected_and_after_it_throw_WebSocketException()
    {
        var inDisconnect = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler
        {
            OnDisconnected = async (c, _) =>
            {
                try
                {
                    await c.SendTextAsync("too late");
                    inDisconnect.TrySetResult(null);
                }
                catch (Exception ex)
                {
                    inDisconnect.TrySetResult(ex);
                }
            },
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        await client.CloseAsync(cancellationToken: Ct);
        await handler.NextDisconnectedAsync();

        Assert.IsType<WebSocketException>(await inDisconnect.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        await Assert.ThrowsAsync<WebSocketException>(async () => await connection.SendTextAsync("after", Ct));
        await Assert.ThrowsAsync<WebSocketException>(async () => await connection.SendTextAsync("after"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<WebSocketException>(async () => await connection.SendBinaryAsync(new byte[] { 1 }, Ct));
    }

    [Fact]
    public async Task Sends_after_the_handler_called_CloseAsync_throw_WebSocketException()
    {
        var afterClose = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler
        {
            OnMessage = async (c, _) =>
            {
                await c.CloseAsync(WebSocketCloseStatus.NormalClosure, "done");
                try
                {
                    await c.SendTextAsync("after close");
                    afterClose.TrySetResult(null);
                }
                catch (Exception ex)
                {
                    afterClose.TrySetResult(ex);
                }
            },
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();

        await client.SendTextAsync("close please", Ct);

        var error = Assert.IsType<WebSocketException>(await afterClose.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(WebSocketError.InvalidState, error.WebSocketErrorCode);
        await client.ExpectCloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
    }

    [Fact]
    public async Task Abort_from_the_handler_ends_the_connection_with_ClosedByServer_and_no_close_status()
    {
        var handler = new RecordingHandler
        {
            OnMessage = static (c, _) =>
            {
                c.Abort();
                return ValueTask.CompletedTask;
            },
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();

        await client.SendTextAsync("abort please", Ct);

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByServer, info.Reason);
        Assert.Null(info.CloseStatus);
        Assert.True(connection.ConnectionClosed.IsCancellationRequested);
    }
}
