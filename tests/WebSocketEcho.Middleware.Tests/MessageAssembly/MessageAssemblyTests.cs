using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.MessageAssembly;

/// <summary>Real frames: fragments become one message, big messages grow the buffer, and MaxMessageSize is exact.</summary>
public sealed class MessageAssemblyTests
{
    private const int Limit = 1000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void SmallLimits(WebSocketHandlerOptions o)
    {
        o.ReceiveBufferSize = 64;
        o.MaxMessageSize = Limit;
    }

    [Theory]
    [InlineData(Frame.Text)]
    [InlineData(Frame.Binary)]
    public async Task Message_sent_as_100_fragments_reaches_the_handler_as_one_message_and_is_echoed_once(byte opcode)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        var payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100).Select(i => $"fragment {i:D3}|")));

        await raw.SendFragmentedAsync(opcode, payload, payload.Length / 100, Ct);
        var echo = await raw.ReadFrameAsync(cancellationToken: Ct);

        Assert.Equal((opcode, true), (echo.Opcode, echo.Fin));
        Assert.Equal(payload, echo.Payload);
        var received = Assert.Single(handler.Messages);
        Assert.Equal(payload, received.Payload);
    }

    [Fact]
    public async Task Message_with_empty_fragments_in_between_is_assembled_without_them()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.WriteRawAsync(
            (byte[])[
                .. RawWebSocketClient.BuildFrame(Frame.Text, "ab"u8, fin: false),
                .. RawWebSocketClient.BuildFrame(Frame.Continuation, [], fin: false),
                .. RawWebSocketClient.BuildFrame(Frame.Continuation, "cd"u8, fin: false),
                .. RawWebSocketClient.BuildFrame(Frame.Continuation, [], fin: true),
            ],
            Ct);

        Assert.Equal("abcd", (await raw.ReadFrameAsync(cancellationToken: Ct)).TextPayload);
        Assert.Single(handler.Messages);
    }

    [Theory]
    [InlineData(Frame.Text)]
    [InlineData(Frame.Binary)]
    public async Task Empty_message_reaches_the_handler_as_an_empty_message_and_is_echoed(byte opcode)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendFrameAsync(opcode, [], cancellationToken: Ct);
        var echo = await raw.ReadFrameAsync(cancellationToken: Ct);

        Assert.Equal(opcode, echo.Opcode);
        Assert.Empty(echo.Payload);
        Assert.Empty(Assert.Single(handler.Messages).Payload);
    }

    [Fact]
    public async Task One_MiB_binary_message_much_bigger_than_ReceiveBufferSize_is_echoed_intact()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler());
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        var payload = new byte[WebSocketHandlerOptions.DefaultMaxMessageSize]; // the default limit, 256 times the default buffer
        new Random(6455).NextBytes(payload);

        await client.SendAsync(payload, WebSocketMessageType.Binary, true, Ct);
        var echo = await client.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Binary, echo.Type);
        Assert.Equal(payload, echo.Payload);
    }

    [Fact]
    public async Task One_MiB_text_message_sent_in_4_KiB_client_fragments_is_echoed_with_the_prefix_intact()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler("Received:  "));
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        var text = string.Concat(Enumerable.Range(0, 1024 * 1024 / 16).Select(i => $"line {i,10}\n"));
        var bytes = Encoding.UTF8.GetBytes(text);

        for (var offset = 0; offset < bytes.Length; offset += 4096)
        {
            await client.SendAsync(bytes.AsMemory(offset, Math.Min(4096, bytes.Length - offset)), WebSocketMessageType.Text, offset + 4096 >= bytes.Length, Ct);
        }

        var echo = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, echo.Type);
        Assert.Equal("Received:  " + text, echo.Text);
    }

    [Theory]
    [InlineData(Limit)] // one frame
    [InlineData(100)]
    [InlineData(7)]
    [InlineData(1)]
    public async Task Message_of_exactly_MaxMessageSize_is_accepted_whole_and_however_fragmented(int fragmentSize)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, SmallLimits);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        var payload = Enumerable.Range(0, Limit).Select(i => (byte)i).ToArray();

        await raw.SendFragmentedAsync(Frame.Binary, payload, fragmentSize, Ct);

        Assert.Equal(payload, (await raw.ReadFrameAsync(cancellationToken: Ct)).Payload);
        Assert.Equal(payload, Assert.Single(handler.Messages).Payload);
    }

    [Fact]
    public async Task Message_of_exactly_MaxMessageSize_followed_by_an_empty_final_fragment_is_accepted()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, SmallLimits);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        var payload = new byte[Limit];

        await raw.WriteRawAsync(
            (byte[])[
                .. RawWebSocketClient.BuildFrame(Frame.Binary, payload, fin: false),
                .. RawWebSocketClient.BuildFrame(Frame.Continuation, [], fin: false),
                .. RawWebSocketClient.BuildFrame(Frame.Continuation, [], fin: true),
            ],
            Ct);

        Assert.Equal(Limit, (await raw.ReadFrameAsync(cancellationToken: Ct)).Payload.Length);
    }

    [Theory]
    [InlineData(Limit + 1, 64)] // one frame
    [InlineData(100, 64)]
    [InlineData(7, 64)]
    [InlineData(1, 64)]
    [InlineData(Limit + 1, Limit)] // ReceiveBufferSize = MaxMessageSize: the buffer never grows
    [InlineData(10, Limit)]
    public async Task Message_one_byte_over_MaxMessageSize_closes_with_1009_that_the_client_receives(int fragmentSize, int receiveBufferSize)
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, o =>
        {
            o.ReceiveBufferSize = receiveBufferSize;
            o.MaxMessageSize = Limit;
        });
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendFragmentedAsync(Frame.Binary, new byte[Limit + 1], fragmentSize, Ct);

        var close = await raw.ReadFrameAsync(cancellationToken: Ct); // the close frame, not an echo
        Assert.Equal(Frame.Close, close.Opcode);
        Assert.Equal(1009, close.CloseStatus);
        await raw.SendCloseAsync(1009, cancellationToken: Ct);
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, info.CloseStatus);
        Assert.Empty(handler.Messages);
    }

    [Fact]
    public async Task Over_size_text_message_from_ClientWebSocket_closes_with_1009()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, SmallLimits);
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);

        await client.SendAsync(new byte[10 * Limit], WebSocketMessageType.Text, true, Ct);
        var close = await client.ReceiveMessageAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        Assert.Equal(WebSocketState.Closed, client.State);
    }

    [Fact]
    public async Task Messages_under_the_limit_keep_working_after_a_long_one_grew_the_buffer()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler(), SmallLimits);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        foreach (var size in new[] { Limit, 1, 65, 0, Limit - 1 })
        {
            var payload = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
            await raw.SendFragmentedAsync(Frame.Binary, payload, 33, Ct);
            Assert.Equal(payload, (await raw.ReadFrameAsync(cancellationToken: Ct)).Payload);
        }
    }

    [Fact]
    public async Task More_fragments_than_MaxFragmentsPerMessage_close_with_1009_and_exactly_that_many_are_accepted()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler, o => o.MaxFragmentsPerMessage = 10);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendFragmentedAsync(Frame.Text, "0123456789"u8, 1, Ct);
        Assert.Equal("0123456789", (await raw.ReadFrameAsync(cancellationToken: Ct)).TextPayload);

        await raw.SendFragmentedAsync(Frame.Text, "0123456789A"u8, 1, Ct);
        var close = await raw.ReadUntilCloseAsync(cancellationToken: Ct);
        Assert.Equal(1009, close?.CloseStatus);
        await raw.SendCloseAsync(1009, cancellationToken: Ct);

        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.MessageTooBig, info.Reason);
    }
}
