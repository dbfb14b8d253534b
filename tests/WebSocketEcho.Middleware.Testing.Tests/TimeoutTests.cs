using System.Net.WebSockets;
using WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>Every wait is bounded, fails with a message that names the path and the state, and loses nothing.</summary>
public sealed class TimeoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A handler that never answers.</summary>
    private static CapturingHandler Silent() => new() { OnMessage = static (_, _) => ValueTask.CompletedTask };

    [Fact]
    public async Task Receive_with_the_default_timeout_fails_after_5_s_with_no_message_within_5_s_on_the_path_last_state_Open()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", Silent());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        await client.SendTextAsync("nobody answers", Ct);

        var started = TimeProvider.System.GetTimestamp();
        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.ReceiveTextAsync(Ct));
        var waited = TimeProvider.System.GetElapsedTime(started);

        Assert.Equal("No message within 5 s on /chat; last state Open.", error.Message);
        Assert.InRange(waited, TimeSpan.FromSeconds(4.9), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Timeout_set_on_the_client_applies_to_the_next_receive()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", Silent());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        client.Timeout = TimeSpan.FromMilliseconds(250);
        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.ReceiveAsync(Ct));

        Assert.Equal("No message within 250 ms on /chat; last state Open.", error.Message);
    }

    [Fact]
    public async Task Timeout_from_the_options_applies_to_ExpectCloseAsync_and_names_what_was_expected()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", Silent());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", o => o.Timeout = TimeSpan.FromSeconds(1.5), Ct);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.ExpectCloseAsync(WebSocketCloseStatus.MessageTooBig, cancellationToken: Ct));

        Assert.Equal("No close within 1.5 s on /chat; last state Open.", error.Message);
    }

    [Fact]
    public async Task Message_that_arrives_after_a_timed_out_receive_is_returned_by_the_next_receive()
    {
        var handler = Silent();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", o => o.Timeout = TimeSpan.FromMilliseconds(200), Ct);
        var connection = await handler.NextConnectedAsync();

        await Assert.ThrowsAsync<TimeoutException>(() => client.ReceiveTextAsync(Ct));
        await connection.SendTextAsync("late", Ct);
        client.Timeout = TimeSpan.FromSeconds(10);

        Assert.Equal("late", await client.ReceiveTextAsync(Ct));
    }

    [Fact]
    public async Task Cancelled_receive_throws_OperationCanceledException_and_the_message_is_kept_for_the_next_receive()
    {
        var handler = Silent();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        var connection = await handler.NextConnectedAsync();

        using (var cancel = new CancellationTokenSource())
        {
            var receive = client.ReceiveTextAsync(cancel.Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive);
        }

        await connection.SendTextAsync("kept", Ct);
        Assert.Equal("kept", await client.ReceiveTextAsync(Ct));
    }

    [Fact]
    public async Task ExpectNoMessageAsync_passes_when_nothing_arrives_and_a_later_message_is_still_received()
    {
        var handler = Silent();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        var connection = await handler.NextConnectedAsync();

        await client.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(200), Ct);
        await connection.SendTextAsync("after the quiet", Ct);

        Assert.Equal("after the quiet", await client.ReceiveTextAsync(Ct));
    }

    [Fact]
    public async Task ExpectNoMessageAsync_fails_when_a_message_arrives_quoting_it()
    {
        await using var app = await InMemoryApp.StartAsync("/chat", new EchoMessageHandler());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.SendTextAsync("unexpected", Ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ExpectNoMessageAsync(TimeSpan.FromSeconds(10), Ct));

        Assert.Equal("Expected no message on /chat for 10 s but received a text message \"unexpected\".", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task ExpectNoMessageAsync_with_a_duration_that_is_not_positive_is_an_ArgumentOutOfRangeException(int milliseconds)
    {
        await using var app = await InMemoryApp.StartAsync("/chat", Silent());
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(milliseconds), Ct));

        Assert.Equal("duration", error.ParamName);
    }
}
