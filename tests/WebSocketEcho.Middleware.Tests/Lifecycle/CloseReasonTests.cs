using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Lifecycle;

public sealed class CloseReasonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> LongReasons => new()
    {
        // 200 two-byte characters: 61 fit in 123 bytes (122), the 62nd would split.
        { new string('é', 200), new string('é', 61) },
        // Four-byte characters: 30 fit (120), the 31st would need 124.
        { "ab" + string.Concat(Enumerable.Repeat("😀", 40)), "ab" + string.Concat(Enumerable.Repeat("😀", 30)) },
        // Exactly 123 ASCII bytes are kept; the rest is cut.
        { new string('x', 123) + "yz", new string('x', 123) },
        // An unpaired surrogate cannot be encoded: it becomes U+FFFD (3 bytes) instead of throwing.
        { "\uD800" + new string('a', 200), "\uFFFD" + new string('a', 120) },
    };

    /// <summary>(ServerCloseTests cover 1- to 4-byte characters on the wire; this is the reason that cannot be encoded.)</summary>
    [Fact]
    public async Task CloseAsync_with_an_unpaired_surrogate_in_a_long_reason_sends_U_FFFD_truncated_without_throwing()
    {
        var reason = "\uD800" + new string('a', 200);
        var expected = "\uFFFD" + new string('a', 120);
        var handler = new RecordingHandler
        {
            OnMessage = async (connection, _) => await connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, reason),
        };
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler));
        await using var raw = await RawWebSocketClient.ConnectAsync(app.Port, "/ws", cancellationToken: Ct);

        await raw.SendTextAsync("close please", Ct);
        var close = await raw.ReadUntilCloseAsync(cancellationToken: Ct);

        Assert.NotNull(close);
        Assert.Equal(1008, close.CloseStatus);
        Assert.Equal(2 + 123, close.Payload.Length);
        Assert.Equal(expected, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(close.Payload, 2, close.Payload.Length - 2));
        await raw.SendCloseAsync(1008, cancellationToken: Ct);
        var (_, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(expected, info.CloseStatusDescription);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Theory]
    [MemberData(nameof(LongReasons))]
    public void TruncateReason_keeps_the_longest_prefix_that_fits_in_123_UTF8_bytes(string reason, string expected)
    {
        var truncated = CloseStatusRules.TruncateReason(reason);

        Assert.Equal(expected, truncated);
        Assert.True(Encoding.UTF8.GetByteCount(truncated) <= 123);
    }
}
