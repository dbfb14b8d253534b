using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.TestHost;

/// <summary>EchoMessageHandler: text gets the prefix, binary comes back unchanged.</summary>
public sealed class EchoTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Hello, world!", "Received:  Hello, world!")]
    [InlineData("héllo € 😀 中文", "Received:  héllo € 😀 中文")]
    [InlineData("", "Received:  ")]
    public async Task Text_with_the_chapter_prefix_is_answered_with_prefix_plus_text(string text, string expected)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler("Received:  "));
        using var socket = await app.ConnectTestHostAsync(TestApp.HandlerPath);

        await socket.SendTextAsync(text, TestContext.Current.CancellationToken);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Text, reply.Type);
        Assert.Equal(expected, reply.Text);
    }

    [Theory]
    [InlineData("Hello, world!")]
    [InlineData("héllo € 😀")]
    [InlineData("")]
    public async Task Text_without_a_prefix_is_echoed_unchanged(string text)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler());
        using var socket = await app.ConnectTestHostAsync(TestApp.HandlerPath);

        await socket.SendTextAsync(text, TestContext.Current.CancellationToken);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Text, reply.Type);
        Assert.Equal(text, reply.Text);
    }

    [Theory]
    [InlineData("Received:  ")]
    [InlineData("")]
    public async Task Binary_is_echoed_unchanged_as_binary_with_or_without_a_prefix(string prefix)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler(prefix));
        using var socket = await app.ConnectTestHostAsync(TestApp.HandlerPath);
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(); // every byte value, invalid UTF-8 included

        await socket.SendAsync(payload, WebSocketMessageType.Binary, true, Ct);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Binary, reply.Type);
        Assert.Equal(payload, reply.Payload);
    }

    [Fact]
    public async Task Empty_binary_message_is_echoed_as_an_empty_binary_message()
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler("Received:  "));
        using var socket = await app.ConnectTestHostAsync(TestApp.HandlerPath);

        await socket.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, true, Ct);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Binary, reply.Type);
        Assert.Empty(reply.Payload);
    }

    [Fact]
    public async Task Mixed_text_and_binary_messages_are_answered_in_order_each_with_its_own_type()
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler("> "));
        using var socket = await app.ConnectTestHostAsync(TestApp.HandlerPath);

        for (var i = 0; i < 10; i++)
        {
            if (i % 2 == 0)
            {
                await socket.SendTextAsync("text " + i, TestContext.Current.CancellationToken);
            }
            else
            {
                await socket.SendAsync(new[] { (byte)i, (byte)0xFF }, WebSocketMessageType.Binary, true, Ct);
            }
        }

        for (var i = 0; i < 10; i++)
        {
            var reply = await socket.ReceiveMessageAsync();
            if (i % 2 == 0)
            {
                Assert.Equal(WebSocketMessageType.Text, reply.Type);
                Assert.Equal("> text " + i, reply.Text);
            }
            else
            {
                Assert.Equal(WebSocketMessageType.Binary, reply.Type);
                Assert.Equal(new[] { (byte)i, (byte)0xFF }, reply.Payload);
            }
        }
    }

    [Fact]
    public void Prefix_with_an_unpaired_surrogate_is_rejected_with_ArgumentException()
    {
        Assert.ThrowsAny<ArgumentException>(() => new EchoMessageHandler("bad \uD800 prefix"));
    }

    [Fact]
    public async Task Text_split_into_client_fragments_is_answered_once_with_the_whole_text()
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler("Received:  "));
        using var socket = await app.ConnectTestHostAsync(TestApp.HandlerPath);

        await socket.SendAsync(Encoding.UTF8.GetBytes("Hel"), WebSocketMessageType.Text, false, Ct);
        await socket.SendAsync(Encoding.UTF8.GetBytes("lo"), WebSocketMessageType.Text, true, Ct);

        Assert.Equal("Received:  Hello", (await socket.ReceiveMessageAsync()).Text);
    }
}
