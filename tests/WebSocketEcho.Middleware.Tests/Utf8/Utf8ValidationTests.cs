using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Utf8;

/// <summary>Text must be valid UTF-8 across the whole message: invalid text closes with 1007, a character split across fragments is fine.</summary>
public sealed class Utf8ValidationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Invalid text messages, as the payloads of their frames.</summary>
    private static readonly Dictionary<string, byte[][]> s_invalidTexts = new()
    {
        ["overlong encoding in one frame"] = [[0x41, 0xC0, 0xAF]],
        ["encoded surrogate in one frame"] = [[0xED, 0xA0, 0x80]],
        ["code point above U+10FFFF"] = [[0xF4, 0x90, 0x80, 0x80]],
        ["invalid byte in a later fragment"] = [[0x41, 0x42], [0x43], [0x44, 0xFF]],
        ["sequence cut short at the end of the message"] = [[0x41], [0xE2, 0x82]],
        ["lead byte followed by a new lead byte across fragments"] = [[0x41, 0xE2], [0xE2, 0x82, 0xAC]],
    };

    public static TheoryData<string> InvalidTexts => new(s_invalidTexts.Keys);

    [Theory]
    [MemberData(nameof(InvalidTexts))]
    public async Task Invalid_UTF8_text_closes_with_1007_the_client_receives_and_the_handler_never_sees_the_message(string invalidCase)
    {
        var fragments = s_invalidTexts[invalidCase];
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.WriteRawAsync(BuildMessage(Frame.Text, fragments), Ct);
        await raw.SendTextAsync("trailing data the server must drain", Ct);

        var close = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(Frame.Close, close.Opcode);
        Assert.Equal(1007, close.CloseStatus);

        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, info.CloseStatus);
        Assert.NotNull(info.Error);
        Assert.Empty(handler.Messages);
        Assert.True(await raw.WaitForServerCloseAsync(TimeSpan.FromSeconds(10), Ct));

        await app.WaitForConnectionClosedLogAsync(connection.Id);
        var logged = Assert.Single(app.MiddlewareLogs, r => r.Id.Id == 6);
        Assert.Equal(LogLevel.Information, logged.Level);
        Assert.Equal("1007", logged.GetStructuredStateValue("CloseStatus"));
    }

    [Theory]
    [InlineData("€", 1)] // E2 | 82 AC
    [InlineData("€", 2)] // E2 82 | AC
    [InlineData("😀", 1)] // F0 | 9F | 98 | 80
    [InlineData("😀", 3)]
    [InlineData("aé€😀中", 1)] // every character split byte by byte
    public async Task Multi_byte_character_split_across_fragments_is_accepted_and_echoed_whole(string text, int fragmentSize)
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler("Received:  "));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.SendFragmentedAsync(Frame.Text, Encoding.UTF8.GetBytes(text), fragmentSize, Ct);

        var echo = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(Frame.Text, echo.Opcode);
        Assert.Equal("Received:  " + text, echo.TextPayload);
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_binary_message_is_not_checked_and_is_echoed()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler("Received:  "));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);
        byte[] bytes = [0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xFF];

        await raw.SendFrameAsync(Frame.Binary, bytes, cancellationToken: Ct);

        var echo = await raw.ReadFrameAsync(cancellationToken: Ct);
        Assert.Equal(Frame.Binary, echo.Opcode);
        Assert.Equal(bytes, echo.Payload);
    }

    [Fact]
    public async Task Valid_text_after_a_split_character_keeps_the_connection_open_for_more_messages()
    {
        await using var app = await TestApp.StartKestrelAsync(new EchoMessageHandler());
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, TestApp.HandlerPath, cancellationToken: Ct);

        await raw.WriteRawAsync(BuildMessage(Frame.Text, [[0x41, 0xE2], [0x82], [0xAC, 0x42]]), Ct);
        Assert.Equal("A€B", (await raw.ReadFrameAsync(cancellationToken: Ct)).TextPayload);

        await raw.SendTextAsync("next", Ct);
        Assert.Equal("next", (await raw.ReadFrameAsync(cancellationToken: Ct)).TextPayload);
    }

    private static byte[] BuildMessage(byte opcode, byte[][] fragments) =>
        fragments
            .Select((payload, i) => RawWebSocketClient.BuildFrame(i == 0 ? opcode : Frame.Continuation, payload, fin: i == fragments.Length - 1))
            .SelectMany(frame => frame)
            .ToArray();
}
