using System.Net.WebSockets;
using WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>ExpectCloseAsync, CloseAsync and DisposeAsync: the close handshake from both sides.</summary>
public sealed class CloseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A handler that closes with the status and reason the message names: "4000 bye" closes with 4000 "bye".</summary>
    private static CapturingHandler ClosingOnRequest() => new()
    {
        OnMessage = static (connection, message) =>
        {
            var parts = message.GetText().Split(' ', 2);
            return connection.CloseAsync((WebSocketCloseStatus)int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
        },
    };

    [Fact]
    public async Task ExpectCloseAsync_MessageTooBig_passes_when_a_message_over_MaxMessageSize_is_closed_with_1009()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler, o => o.MaxMessageSize = 4096);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.SendTextAsync(new string('x', 4097), Ct);
        await client.ExpectCloseAsync(WebSocketCloseStatus.MessageTooBig, cancellationToken: Ct);

        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(DisconnectReason.MessageTooBig, (await handler.NextDisconnectedAsync()).Reason);
    }

    [Fact]
    public async Task ExpectCloseAsync_answers_the_close_so_the_server_ends_at_once_not_after_its_CloseTimeout()
    {
        var handler = ClosingOnRequest();
        await using var app = await InMemoryApp.StartAsync("/chat", handler, o => o.CloseTimeout = TimeSpan.FromSeconds(60));
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.SendTextAsync("4000 done", Ct);
        await client.ExpectCloseAsync((WebSocketCloseStatus)4000, "done", Ct);

        // Without the client's answering close frame the server would wait the full minute before it gives up.
        var disconnect = await handler.NextDisconnectedAsync(within: TimeSpan.FromSeconds(20));
        Assert.Equal(DisconnectReason.ClosedByServer, disconnect.Reason);
        Assert.Equal((WebSocketCloseStatus)4000, disconnect.CloseStatus);
    }

    [Fact]
    public async Task ExpectCloseAsync_fails_when_the_status_differs_naming_both_statuses_and_the_reason()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", ClosingOnRequest());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.SendTextAsync("1000 bye", Ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ExpectCloseAsync(WebSocketCloseStatus.MessageTooBig, cancellationToken: Ct));

        Assert.Equal(
            "Expected a close with 1009 (MessageTooBig) on /chat but the server closed the connection with 1000 (NormalClosure) \"bye\".",
            error.Message);
    }

    [Fact]
    public async Task ExpectCloseAsync_fails_when_the_reason_differs_and_passes_when_it_matches()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", ClosingOnRequest());
        await using var first = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await using var second = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await first.SendTextAsync("4001 room is full", Ct);
        await second.SendTextAsync("4001 room is full", Ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => first.ExpectCloseAsync((WebSocketCloseStatus)4001, "kicked", Ct));

        Assert.Equal("Expected a close with 4001 \"kicked\" on /chat but the server closed the connection with 4001 \"room is full\".", error.Message);
        await second.ExpectCloseAsync((WebSocketCloseStatus)4001, "room is full", Ct);
    }

    [Fact]
    public async Task ExpectCloseAsync_fails_when_a_message_comes_before_the_close()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", new EchoMessageHandler("Received:  "));
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.SendTextAsync("hi", Ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ExpectCloseAsync(WebSocketCloseStatus.PolicyViolation, cancellationToken: Ct));

        Assert.Equal("Expected a close with 1008 (PolicyViolation) on /chat but received a text message \"Received:  hi\".", error.Message);
    }

    [Fact]
    public async Task ExpectCloseAsync_after_a_receive_already_met_the_close_checks_that_close()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", ClosingOnRequest());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.SendTextAsync("1001 going", Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.ReceiveAsync(Ct));

        await client.ExpectCloseAsync(WebSocketCloseStatus.EndpointUnavailable, "going", Ct);
    }

    [Fact]
    public async Task CloseAsync_sends_the_status_and_reason_the_handler_sees_ClosedByPeer_and_the_server_answers()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.CloseAsync((WebSocketCloseStatus)4100, "leaving", Ct);

        Assert.Equal(WebSocketState.Closed, client.State);
        var disconnect = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, disconnect.Reason);
        Assert.Equal((WebSocketCloseStatus)4100, disconnect.CloseStatus);
        Assert.Equal("leaving", disconnect.CloseStatusDescription);
    }

    [Fact]
    public async Task CloseAsync_drops_messages_still_on_their_way_and_a_second_call_does_nothing()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        var connection = await handler.NextConnectedAsync();

        await connection.SendTextAsync("never read", Ct);
        await client.CloseAsync(cancellationToken: Ct);
        await client.CloseAsync(cancellationToken: Ct);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await handler.NextDisconnectedAsync()).CloseStatus);
    }

    [Fact]
    public async Task DisposeAsync_of_an_open_client_closes_it_normally()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);

        var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await client.DisposeAsync();
        await client.DisposeAsync();

        var disconnect = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, disconnect.Reason);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, disconnect.CloseStatus);
    }

    [Fact]
    public async Task DisposeAsync_after_the_server_aborted_does_not_throw()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        (await handler.NextConnectedAsync()).Abort();
        await handler.NextDisconnectedAsync();

        await client.DisposeAsync();
    }
}
