using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Lifecycle;

/// <summary>A handler exception closes that one connection with 1011, is logged with the connection id, and nothing else suffers.</summary>
public sealed class HandlerFailureTests
{
    [Fact]
    public async Task OnMessage_throws_closes_that_connection_with_1011_logs_event_5_with_its_id_and_another_connection_keeps_working()
    {
        var boom = new InvalidOperationException("secret detail of the failure");
        var handler = new RecordingHandler
        {
            OnMessage = (c, m) => m.GetText() == "boom" ? throw boom : c.SendTextAsync(m.Payload),
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var bad = await app.ConnectTestClientAsync();
        var badConnection = await handler.NextConnectedAsync();
        await using var good = await app.ConnectTestClientAsync();

        await bad.SendTextAsync("boom", TestContext.Current.CancellationToken);
        await bad.ExpectCloseAsync(WebSocketCloseStatus.InternalServerError, "Internal server error", TestContext.Current.CancellationToken); // not the secret detail

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Same(badConnection, connection);
        Assert.Equal(DisconnectReason.HandlerError, info.Reason);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, info.CloseStatus);
        Assert.Same(boom, info.Error);

        Assert.Equal("still here", await good.RoundTripAsync("still here"));

        var logged = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 5);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Same(boom, logged.Exception);
        Assert.Equal(badConnection.Id, logged.GetStructuredStateValue("ConnectionId"));
        Assert.Equal("OnMessageAsync", logged.GetStructuredStateValue("Callback"));
    }

    [Fact]
    public async Task OnMessage_throws_asynchronously_closes_with_1011_too()
    {
        var handler = new RecordingHandler
        {
            OnMessage = static async (_, _) =>
            {
                await Task.Yield();
                throw new InvalidOperationException("later");
            },
        };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using var client = await app.ConnectTestClientAsync();

        await client.SendTextAsync("anything", TestContext.Current.CancellationToken);

        await client.ExpectCloseAsync(WebSocketCloseStatus.InternalServerError, cancellationToken: TestContext.Current.CancellationToken);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.HandlerError, info.Reason);
    }

    [Fact]
    public async Task OnConnected_throws_closes_with_1011_no_message_is_dispatched_and_OnDisconnected_is_called_once()
    {
        var handler = new RecordingHandler { OnConnected = static _ => throw new InvalidOperationException("cannot start") };
        await using var app = await TestApp.StartTestHostAsync(handler, o => o.CloseTimeout = TimeSpan.FromSeconds(2));
        await using var client = await app.ConnectTestClientAsync();
        var connection = await handler.NextConnectedAsync();

        await client.SendTextAsync("sent before the close arrived", TestContext.Current.CancellationToken);
        await client.ExpectCloseAsync(WebSocketCloseStatus.InternalServerError, cancellationToken: TestContext.Current.CancellationToken);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.HandlerError, info.Reason);
        Assert.IsType<InvalidOperationException>(info.Error);
        await app.WaitForConnectionClosedLogAsync(connection.Id);

        Assert.Equal(
            [$"connected:{connection.Id}", $"disconnected:{connection.Id}:HandlerError"],
            handler.EventsOf(connection.Id));
        var logged = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 5);
        Assert.Equal("OnConnectedAsync", logged.GetStructuredStateValue("Callback"));
        Assert.Equal(connection.Id, logged.GetStructuredStateValue("ConnectionId"));
    }

    [Fact]
    public async Task OnDisconnected_throws_is_logged_as_event_15_and_the_host_keeps_serving()
    {
        var handler = new RecordingHandler { OnDisconnected = static (_, _) => throw new InvalidOperationException("cleanup failed") };
        await using var app = await TestApp.StartTestHostAsync(handler);
        await using (var first = await app.ConnectTestClientAsync())
        {
            await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", TestContext.Current.CancellationToken);
        }

        var (connection, _) = await handler.NextDisconnectedAsync();
        await app.WaitForConnectionClosedLogAsync(connection.Id);
        await using var second = await app.ConnectTestClientAsync();

        Assert.Equal("next", await second.RoundTripAsync("next"));
        var logged = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 15);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Equal(connection.Id, logged.GetStructuredStateValue("ConnectionId"));
    }
}
