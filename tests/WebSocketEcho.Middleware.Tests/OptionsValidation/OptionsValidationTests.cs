using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware.Tests.OptionsValidation;

/// <summary>Every invalid option fails at startup (when UseWebSocketHandler builds the pipeline) naming the option.</summary>
public sealed class OptionsValidationTests
{
    private static readonly Dictionary<string, (string Option, Action<WebSocketHandlerOptions> Configure)> s_invalid = new()
    {
        ["ReceiveBufferSize = 0"] = ("ReceiveBufferSize", o => o.ReceiveBufferSize = 0),
        ["ReceiveBufferSize = -1"] = ("ReceiveBufferSize", o => o.ReceiveBufferSize = -1),
        ["ReceiveBufferSize = 16 MiB + 1"] = ("ReceiveBufferSize", o => (o.ReceiveBufferSize, o.MaxMessageSize) = ((16 * 1024 * 1024) + 1, 64 * 1024 * 1024)),
        ["MaxMessageSize < ReceiveBufferSize"] = ("MaxMessageSize", o => (o.ReceiveBufferSize, o.MaxMessageSize) = (4096, 4095)),
        ["MaxMessageSize = 0"] = ("MaxMessageSize", o => o.MaxMessageSize = 0),
        ["MaxMessageSize = 1 GiB + 1"] = ("MaxMessageSize", o => o.MaxMessageSize = (1024 * 1024 * 1024) + 1),
        ["MaxFragmentsPerMessage = 0"] = ("MaxFragmentsPerMessage", o => o.MaxFragmentsPerMessage = 0),
        ["KeepAliveInterval = -1 s"] = ("KeepAliveInterval", o => o.KeepAliveInterval = TimeSpan.FromSeconds(-1)),
        ["KeepAliveTimeout = 0"] = ("KeepAliveTimeout", o => o.KeepAliveTimeout = TimeSpan.Zero),
        ["KeepAliveTimeout = -1 s"] = ("KeepAliveTimeout", o => o.KeepAliveTimeout = TimeSpan.FromSeconds(-1)),
        ["IdleTimeout = 0"] = ("IdleTimeout", o => o.IdleTimeout = TimeSpan.Zero),
        ["IdleTimeout = -1 s"] = ("IdleTimeout", o => o.IdleTimeout = TimeSpan.FromSeconds(-1)),
        ["SendTimeout = 0"] = ("SendTimeout", o => o.SendTimeout = TimeSpan.Zero),
        ["SendTimeout = -1 s"] = ("SendTimeout", o => o.SendTimeout = TimeSpan.FromSeconds(-1)),
        ["CloseTimeout = 0"] = ("CloseTimeout", o => o.CloseTimeout = TimeSpan.Zero),
        ["CloseTimeout = -1 s"] = ("CloseTimeout", o => o.CloseTimeout = TimeSpan.FromSeconds(-1)),
        ["CloseTimeout = infinite"] = ("CloseTimeout", o => o.CloseTimeout = Timeout.InfiniteTimeSpan),
        ["CloseTimeout = 11 min"] = ("CloseTimeout", o => o.CloseTimeout = TimeSpan.FromMinutes(11)),
        ["MaxPendingSendBytes = 0"] = ("MaxPendingSendBytes", o => o.MaxPendingSendBytes = 0),
        ["MaxPendingSendBytes = -1"] = ("MaxPendingSendBytes", o => o.MaxPendingSendBytes = -1),
        ["MaxConnections = 0"] = ("MaxConnections", o => o.MaxConnections = 0),
        ["MaxConnections = -1"] = ("MaxConnections", o => o.MaxConnections = -1),
        ["AllowedOrigins without scheme"] = ("AllowedOrigins", o => o.AllowedOrigins.Add("example.com")),
        ["AllowedOrigins with path"] = ("AllowedOrigins", o => o.AllowedOrigins.Add("https://example.com/app")),
        ["AllowedOrigins with trailing slash"] = ("AllowedOrigins", o => o.AllowedOrigins.Add("https://example.com/")),
        ["AllowedOrigins with user info"] = ("AllowedOrigins", o => o.AllowedOrigins.Add("https://user@example.com")),
        ["AllowedOrigins empty"] = ("AllowedOrigins", o => o.AllowedOrigins.Add("")),
        ["SubProtocols with space"] = ("SubProtocols", o => o.SubProtocols.Add("chat v1")),
        ["SubProtocols with comma"] = ("SubProtocols", o => o.SubProtocols.Add("a,b")),
        ["SubProtocols with separator"] = ("SubProtocols", o => o.SubProtocols.Add("json;q=1")),
        ["SubProtocols empty"] = ("SubProtocols", o => o.SubProtocols.Add("")),
    };

    private static readonly Dictionary<string, Action<WebSocketHandlerOptions>> s_valid = new()
    {
        ["defaults"] = _ => { },
        ["ReceiveBufferSize = MaxMessageSize = 1"] = o => (o.ReceiveBufferSize, o.MaxMessageSize) = (1, 1),
        ["ReceiveBufferSize = MaxMessageSize = 16 MiB"] = o => (o.ReceiveBufferSize, o.MaxMessageSize) = (16 * 1024 * 1024, 16 * 1024 * 1024),
        ["MaxMessageSize = 1 GiB"] = o => o.MaxMessageSize = 1024 * 1024 * 1024,
        ["MaxFragmentsPerMessage = 1"] = o => o.MaxFragmentsPerMessage = 1,
        ["KeepAliveInterval = 0 (off)"] = o => o.KeepAliveInterval = TimeSpan.Zero,
        ["KeepAliveInterval = infinite (off)"] = o => o.KeepAliveInterval = Timeout.InfiniteTimeSpan,
        ["KeepAliveTimeout = infinite"] = o => o.KeepAliveTimeout = Timeout.InfiniteTimeSpan,
        ["IdleTimeout = 1 ms"] = o => o.IdleTimeout = TimeSpan.FromMilliseconds(1),
        ["SendTimeout = infinite"] = o => o.SendTimeout = Timeout.InfiniteTimeSpan,
        ["CloseTimeout = 10 min"] = o => o.CloseTimeout = TimeSpan.FromMinutes(10),
        ["MaxPendingSendBytes = 1"] = o => o.MaxPendingSendBytes = 1,
        ["MaxConnections = null (no limit)"] = o => o.MaxConnections = null,
        ["MaxConnections = 1"] = o => o.MaxConnections = 1,
        ["AllowedOrigins *, null and an origin with port"] = o =>
        {
            o.AllowedOrigins.Add("*");
            o.AllowedOrigins.Add("null");
            o.AllowedOrigins.Add("https://example.com:8443");
        },
        ["SubProtocols tokens"] = o =>
        {
            o.SubProtocols.Add("v1.chat");
            o.SubProtocols.Add("graphql-transport-ws");
        },
    };

    public static TheoryData<string> InvalidCases => new(s_invalid.Keys);

    public static TheoryData<string> ValidCases => new(s_valid.Keys);

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public async Task Invalid_option_throws_OptionsValidationException_at_startup_naming_the_option(string invalidCase)
    {
        var (optionName, configure) = s_invalid[invalidCase];
        await using var app = BuildApp();

        var error = Assert.Throws<OptionsValidationException>(() => app.UseWebSocketHandler("/ws", new EchoMessageHandler(), configure));

        Assert.Equal(typeof(WebSocketHandlerOptions), error.OptionsType);
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith($"WebSocketHandlerOptions.{optionName} ", failure, StringComparison.Ordinal);
        Assert.Contains($"WebSocketHandlerOptions.{optionName} ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_invalid_options_are_all_named_in_one_exception()
    {
        await using var app = BuildApp();

        var error = Assert.Throws<OptionsValidationException>(() => app.UseWebSocketHandler("/ws", new EchoMessageHandler(), o =>
        {
            o.ReceiveBufferSize = 0;
            o.CloseTimeout = TimeSpan.Zero;
            o.MaxConnections = 0;
        }));

        Assert.Equal(3, error.Failures.Count());
        Assert.Contains("WebSocketHandlerOptions.ReceiveBufferSize", error.Message, StringComparison.Ordinal);
        Assert.Contains("WebSocketHandlerOptions.CloseTimeout", error.Message, StringComparison.Ordinal);
        Assert.Contains("WebSocketHandlerOptions.MaxConnections", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_option_message_names_the_value_found()
    {
        await using var app = BuildApp();

        var error = Assert.Throws<OptionsValidationException>(
            () => app.UseWebSocketHandler("/ws", new EchoMessageHandler(), o => o.MaxPendingSendBytes = -42));

        Assert.Contains("-42", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ValidCases))]
    public async Task Valid_boundary_option_is_accepted(string validCase)
    {
        await using var app = BuildApp();

        app.UseWebSocketHandler("/ws", new EchoMessageHandler(), s_valid[validCase]);
    }

    private static WebApplication BuildApp()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        return builder.Build();
    }
}
