using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// What a push sends: text from a string or from UTF-8 bytes, binary, empty messages, large ones; each one whole message
/// of the right type. The message is copied once per call, so the caller may overwrite its buffer as soon as the call
/// returns, even while deliveries are still queued.
/// </summary>
public sealed class PushPayloadTests
{
    private const int MiB = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Text_from_a_string_or_UTF8_bytes_and_binary_arrive_as_one_message_of_that_type_with_the_same_bytes(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        var members = await app.ConnectManyAsync("/ws", 3);
        var push = app.Push<AlphaHandler>();
        const string Text = "h\u00e9llo \u20ac \ud834\udd1e \u4e2d\u6587";
        var binary = new byte[] { 0, 255, 0xC3, 0x28, 1, 2, 3 };
        var large = new string('x', 200_000) + "\u00e9";

        Assert.Equal(3, (await push.All.SendTextAsync(Text, Ct)).Reached);
        Assert.Equal(3, (await push.All.SendTextAsync(Encoding.UTF8.GetBytes(Text), Ct)).Reached);
        Assert.Equal(3, (await push.All.SendBinaryAsync(binary, Ct)).Reached);
        Assert.Equal(3, (await push.All.SendTextAsync(string.Empty, Ct)).Reached);
        Assert.Equal(3, (await push.All.SendTextAsync(ReadOnlyMemory<byte>.Empty, Ct)).Reached);
        Assert.Equal(3, (await push.All.SendBinaryAsync(ReadOnlyMemory<byte>.Empty, Ct)).Reached);
        Assert.Equal(3, (await push.All.SendTextAsync(large, Ct)).Reached);

        foreach (var member in members)
        {
            await ExpectAsync(member, WebSocketMessageType.Text, Encoding.UTF8.GetBytes(Text));
            await ExpectAsync(member, WebSocketMessageType.Text, Encoding.UTF8.GetBytes(Text));
            await ExpectAsync(member, WebSocketMessageType.Binary, binary);
            await ExpectAsync(member, WebSocketMessageType.Text, []);
            await ExpectAsync(member, WebSocketMessageType.Text, []);
            await ExpectAsync(member, WebSocketMessageType.Binary, []);
            await ExpectAsync(member, WebSocketMessageType.Text, Encoding.UTF8.GetBytes(large));
            await app.ExpectExactlyAsync<AlphaHandler>(member);
            member.Dispose();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_callers_buffer_can_be_overwritten_as_soon_as_the_call_returns_while_a_delivery_is_still_queued(bool text)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: true, o => o.MaxPendingSendBytes = 4 * MiB);
        var readers = await app.ConnectManyAsync("/ws", 3);
        using var blocked = await app.ConnectSlowAsync();
        var push = app.Push<AlphaHandler>();

        // The blocked member's writer is busy with 1 MiB it cannot take yet: whatever is pushed to it next waits in its queue.
        var blocker = await app.BlockWithBacklogAsync(blocked);

        // One buffer, reused for every call, overwritten right after each call returns.
        var buffer = new byte[64];
        var expected = new List<byte[]>();
        for (var i = 0; i < 20; i++)
        {
            var original = Encoding.UTF8.GetBytes($"message {i} ".PadRight(buffer.Length, (char)('a' + i)));
            original.CopyTo(buffer, 0);
            expected.Add(original);
            var result = text ? await push.All.SendTextAsync(buffer, Ct) : await push.All.SendBinaryAsync(buffer, Ct);
            Assert.Equal(4, result.Reached);
            buffer.AsSpan().Fill((byte)'#');
        }

        var type = text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        foreach (var reader in readers)
        {
            foreach (var original in expected)
            {
                await ExpectAsync(reader, type, original);
            }

            reader.Dispose();
        }

        await ExpectAsync(blocked, WebSocketMessageType.Binary, blocker);
        foreach (var original in expected)
        {
            await ExpectAsync(blocked, type, original);
        }
    }

    private static async Task ExpectAsync(Member member, WebSocketMessageType type, byte[] payload)
    {
        var message = await member.ReceiveAsync();
        Assert.Equal(type, message.Type);
        Assert.Equal(payload, message.Payload);
    }
}
