using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware.Tests.Limits;

public sealed class LimitOptionsTests
{
    private static readonly Dictionary<string, Action<WebSocketHandlerOptions>> s_invalid = new()
    {
        ["MaxConnections"] = o => o.MaxConnections = 0,
        ["MaxFragmentsPerMessage"] = o => o.MaxFragmentsPerMessage = 0,
        ["MaxPendingSendBytes"] = o => o.MaxPendingSendBytes = 0,
        ["SendTimeout"] = o => o.SendTimeout = TimeSpan.Zero,
        ["IdleTimeout"] = o => o.IdleTimeout = TimeSpan.FromSeconds(-2),
        ["KeepAliveTimeout"] = o => o.KeepAliveTimeout = TimeSpan.Zero,
        ["KeepAliveInterval"] = o => o.KeepAliveInterval = TimeSpan.FromSeconds(-2),
        ["CloseTimeout"] = o => o.CloseTimeout = TimeSpan.FromMinutes(11),
        ["MaxMessageSize"] = o => o.MaxMessageSize = 0,
    };

    public static TheoryData<string> InvalidLimits => [.. s_invalid.Keys];

    [Fact]
    public void Every_limit_is_on_by_default_with_the_documented_value()
    {
        var options = new WebSocketHandlerOptions();

        Assert.Equal(10_000, options.MaxConnections);
        Assert.Equal(1024 * 1024, options.MaxMessageSize);
        Assert.Equal(4096, options.MaxFragmentsPerMessage);
        Assert.Equal(1024 * 1024, options.MaxPendingSendBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SendTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.CloseTimeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.IdleTimeout);
        Assert.False(options.EnableCompression);
        Assert.Empty(options.AllowedOrigins);
    }

    [Theory]
    [MemberData(nameof(InvalidLimits))]
    public async Task Invalid_limit_fails_at_startup_naming_the_option(string option)
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<OptionsValidationException>(() => app.UseWebSocketHandler("/ws", new EchoMessageHandler(), s_invalid[option]));

        Assert.Contains($"WebSocketHandlerOptions.{option} must", error.Message, StringComparison.Ordinal);
    }
}
