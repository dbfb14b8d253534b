using System.Net.WebSockets;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Echo;

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
        await using var client = await app.ConnectTestClientAsync();

        await client.SendTextAsync(text, Ct);

        Assert.Equal(expected, await client.ReceiveTextAsync(Ct));
    }

    [Theory]
    [InlineData("Hello, world!")]
    [InlineData("héllo € 😀")]
    [InlineData("")]
    public async Task Text_without_a_prefix_is_echoed_unchanged(string text)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler());
        await using var client = await app.ConnectTestClientAsync();

        await client.SendTextAsync(text, Ct);

        Assert.Equal(text, await client.ReceiveTextAsync(Ct));
    }

    [Theory]
    [InlineData("Received:  ")]
    [InlineData("")]
    public async Task Binary_is_echoed_unchanged_as_binary_with_or_without_a_prefix(string prefix)
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler(prefix));
        await using var client = await app.ConnectTestClientAsync();
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(); // every byte value, invalid UTF-8 included

        await client.SendBinaryAsync(payload, Ct);

        Assert.Equal(payload, await client.ReceiveBinaryAsync(Ct));
    }

    [Fact]
    public async Task Empty_binary_message_is_echoed_as_an_empty_binary_message()
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler("Received:  "));
        await using var client = await app.ConnectTestClientAsync();

        await client.SendBinaryAsync(Array.Empty<byte>(), Ct);

        Assert.Empty(await client.ReceiveBinaryAsync(Ct));
    }

    [Fact]
    public async Task Mixed_text_and_binary_messages_are_answered_in_order_each_with_its_own_type()
    {
        await using var app = await TestApp.StartTestHostAsync(new EchoMessageHandler("> "));
        await using var client = await app.ConnectTestClientAsync();

        for (var i = 0; i < 10; i++)
        {
            await (i % 2 == 0 ? client.SendTextAsync("text " + i, Ct) : client.SendBinaryAsync(new[] { (byte)i, (byte)0xFF }, Ct));
        }

        for (var i = 0; i < 10; i++)
        {
            if (i % 2 == 0)
            {
                Assert.Equal("> text " + i, await client.ReceiveTextAsync(Ct));
            }
            else
            {
                Assert.Equal(new[] { (byte)i, (byte)0xFF }, await client.ReceiveBinaryAsync(Ct));
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
        await using var client = await app.ConnectTestClientAsync();

        // The testing client sends whole messages; its WebSocket sends the parts.
        await client.WebSocket.SendAsync("Hel"u8.ToArray(), WebSocketMessageType.Text, false, Ct);
        await client.WebSocket.SendAsync("lo"u8.ToArray(), WebSocketMessageType.Text, true, Ct);

        Assert.Equal("Received:  Hello", await client.ReceiveTextAsync(Ct));
    }
}
