using System.Net.WebSockets;
using WebSocketEcho.Middleware.Testing.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>Sending text and binary, and receiving whole messages with their type.</summary>
public sealed class SendReceiveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Hello, world!", "Received:  Hello, world!")]
    [InlineData("héllo € 😀", "Received:  héllo € 😀")]
    [InlineData("", "Received:  ")]
    public async Task Text_sent_to_the_echo_comes_back_as_text_with_the_prefix(string text, string expected)
    {
        await using var app = await InMemoryApp.StartAsync("/echo", new EchoMessageHandler("Received:  "));
        await using var client = await app.Server.ConnectWebSocketAsync("/echo", cancellationToken: Ct);

        await client.SendTextAsync(text, Ct);
        var reply = await client.ReceiveAsync(Ct);

        Assert.Equal(WebSocketMessageType.Text, reply.MessageType);
        Assert.Equal(expected, reply.GetText());
    }

    [Fact]
    public async Task Binary_sent_comes_back_as_binary_with_every_byte_value()
    {
        await using var app = await InMemoryApp.StartAsync("/echo", new EchoMessageHandler("Received:  "));
        await using var client = await app.Server.ConnectWebSocketAsync("/echo", cancellationToken: Ct);
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        await client.SendBinaryAsync(payload, Ct);

        Assert.Equal(payload, await client.ReceiveBinaryAsync(Ct));
    }

    [Fact]
    public async Task Message_larger_than_the_clients_read_buffer_is_received_whole()
    {
        await using var app = await InMemoryApp.StartAsync("/echo", new EchoMessageHandler());
        await using var client = await app.Server.ConnectWebSocketAsync("/echo", cancellationToken: Ct);
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + (i % 26))));

        await client.SendTextAsync(text, Ct);

        Assert.Equal(text, await client.ReceiveTextAsync(Ct));
    }

    [Fact]
    public async Task Mixed_messages_are_received_in_order_each_with_its_type()
    {
        await using var app = await InMemoryApp.StartAsync("/echo", new EchoMessageHandler("> "));
        await using var client = await app.Server.ConnectWebSocketAsync("/echo", cancellationToken: Ct);

        await client.SendTextAsync("one", Ct);
        await client.SendBinaryAsync(new byte[] { 2 }, Ct);
        await client.SendTextAsync("three", Ct);

        Assert.Equal("> one", await client.ReceiveTextAsync(Ct));
        Assert.Equal(new byte[] { 2 }, await client.ReceiveBinaryAsync(Ct));
        Assert.Equal("> three", await client.ReceiveTextAsync(Ct));
    }

    [Fact]
    public async Task ReceiveTextAsync_when_a_binary_message_arrives_fails_naming_the_path_and_the_size()
    {
        await using var app = await InMemoryApp.StartAsync("/echo", new EchoMessageHandler());
        await using var client = await app.Server.ConnectWebSocketAsync("/echo", cancellationToken: Ct);

        await client.SendBinaryAsync(new byte[] { 1, 2, 3 }, Ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ReceiveTextAsync(Ct));

        Assert.Equal("Expected a text message on /echo but received a binary message of 3 bytes.", error.Message);
    }

    [Fact]
    public async Task ReceiveBinaryAsync_when_a_text_message_arrives_fails_quoting_the_text()
    {
        await using var app = await InMemoryApp.StartAsync("/echo", new EchoMessageHandler());
        await using var client = await app.Server.ConnectWebSocketAsync("/echo", cancellationToken: Ct);

        await client.SendTextAsync("hi", Ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ReceiveBinaryAsync(Ct));

        Assert.Equal("Expected a binary message on /echo but received a text message \"hi\".", error.Message);
    }

    [Fact]
    public async Task ReceiveAsync_when_the_handler_throws_fails_with_the_servers_1011_close()
    {
        var handler = new CapturingHandler { OnMessage = static (_, _) => throw new InvalidOperationException("boom") };
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        await client.SendTextAsync("anything", Ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ReceiveTextAsync(Ct));

        Assert.Equal(
            "Expected a message on /chat but the server closed the connection with 1011 (InternalServerError) \"Internal server error\".",
            error.Message);
    }

    [Fact]
    public async Task ReceiveAsync_when_the_server_aborts_fails_saying_the_connection_ended_without_a_close_frame()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);

        (await handler.NextConnectedAsync()).Abort();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ReceiveAsync(Ct));

        Assert.StartsWith("Expected a message on /chat but the connection ended without a close frame (", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public async Task Messages_the_server_pushes_without_being_asked_are_received_in_order()
    {
        var handler = new CapturingHandler();
        await using var app = await InMemoryApp.StartAsync("/chat", handler);
        await using var client = await app.Server.ConnectWebSocketAsync("/chat", cancellationToken: Ct);
        var connection = await handler.NextConnectedAsync();

        await connection.SendTextAsync("first", Ct);
        await connection.SendBinaryAsync(new byte[] { 0xFF }, Ct);

        var first = await client.ReceiveAsync(Ct);
        var second = await client.ReceiveAsync(Ct);
        Assert.Equal((WebSocketMessageType.Text, "first"), (first.MessageType, first.GetText()));
        Assert.Equal(WebSocketMessageType.Binary, second.MessageType);
        Assert.Equal(new byte[] { 0xFF }, second.Payload.ToArray());
    }
}
