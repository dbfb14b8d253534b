using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.DependencyInjection;

/// <summary>
/// <c>AddWebSocketHandler&lt;THandler&gt;()</c>: options named after the handler type, set in code or bound from
/// configuration, validated when the host starts.
/// </summary>
public sealed class HandlerOptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddWebSocketHandler_configure_sets_the_limits_of_the_generic_endpoint_message_of_65_bytes_over_64_closes_1009()
    {
        await using var app = await TestApp.StartKestrelAsync(
            a => a.UseWebSocketHandler<SmallEcho>("/ws"),
            s => s.AddWebSocketHandler<SmallEcho>(o =>
            {
                o.ReceiveBufferSize = 64;
                o.MaxMessageSize = 64;
            }));
        using var client = new ClientWebSocket();
        await client.ConnectAsync(app.WebSocketUri("/ws"), Ct);

        await client.SendBinaryAsync(new byte[64], Ct);
        Assert.Equal(64, (await client.ReceiveMessageAsync(Ct)).Payload.Length);
        await client.SendBinaryAsync(new byte[65], Ct);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await client.ReceiveMessageAsync(Ct)).CloseStatus);
    }

    [Fact]
    public async Task BindConfiguration_reads_limits_timespans_and_the_AllowedOrigins_and_SubProtocols_lists()
    {
        await using var app = await TestApp.StartKestrelAsync(
            a => a.MapWebSocketHandler<SmallEcho>("/chat"),
            s => s.AddWebSocketHandler<SmallEcho>().BindConfiguration("WebSockets:Chat"),
            configureBuilder: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["WebSockets:Chat:ReceiveBufferSize"] = "128",
                ["WebSockets:Chat:MaxMessageSize"] = "2048",
                ["WebSockets:Chat:KeepAliveInterval"] = "00:00:10",
                ["WebSockets:Chat:IdleTimeout"] = "00:05:00",
                ["WebSockets:Chat:MaxConnections"] = "7",
                ["WebSockets:Chat:EnableCompression"] = "true",
                ["WebSockets:Chat:AllowedOrigins:0"] = "https://a.example",
                ["WebSockets:Chat:AllowedOrigins:1"] = "https://b.example:8443",
                ["WebSockets:Chat:SubProtocols:0"] = "chat.v2",
                ["WebSockets:Chat:SubProtocols:1"] = "chat.v1",
            }));

        var options = app.Services.GetRequiredService<IOptionsMonitor<WebSocketHandlerOptions>>().Get(typeof(SmallEcho).FullName);
        Assert.Equal(128, options.ReceiveBufferSize);
        Assert.Equal(2048, options.MaxMessageSize);
        Assert.Equal(TimeSpan.FromSeconds(10), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), options.IdleTimeout);
        Assert.Equal(7, options.MaxConnections);
        Assert.True(options.EnableCompression);
        Assert.Equal(["https://a.example", "https://b.example:8443"], options.AllowedOrigins);
        Assert.Equal(["chat.v2", "chat.v1"], options.SubProtocols);

        // The endpoint uses them: the listed origin connects and the server's preferred subprotocol is chosen.
        await using (var listed = await RawWebSocketClient.ConnectAsync(
            app.Port, "/chat", [new("Origin", "https://b.example:8443"), new("Sec-WebSocket-Protocol", "chat.v1, chat.v2")], cancellationToken: Ct))
        {
            Assert.Equal(101, listed.Handshake.StatusCode);
            Assert.Equal("chat.v2", listed.Handshake.Header("Sec-WebSocket-Protocol"));
        }

        await using var unlisted = await RawWebSocketClient.ConnectAsync(app.Port, "/chat", [new("Origin", "https://c.example")], cancellationToken: Ct);
        Assert.Equal(403, unlisted.Handshake.StatusCode);
    }

    [Fact]
    public async Task ValidateOnStart_invalid_configured_value_fails_host_start_with_OptionsValidationException_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApp.StartKestrelAsync(
            _ => { },
            s => s.AddWebSocketHandler<SmallEcho>().BindConfiguration("Bad"),
            configureBuilder: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Bad:KeepAliveTimeout"] = "-00:00:05",
            })));

        Assert.Equal(typeof(SmallEcho).FullName, error.OptionsName);
        Assert.Contains("WebSocketHandlerOptions.KeepAliveTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_fail_at_the_MapWebSocketHandler_call_naming_the_option_and_its_range()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddWebSocketHandler<SmallEcho>(o => o.CloseTimeout = TimeSpan.Zero);
        await using var app = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => app.MapWebSocketHandler<SmallEcho>("/ws"));
        Assert.Contains("WebSocketHandlerOptions.CloseTimeout must be more than zero", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_handler_types_keep_their_own_named_options_100_bytes_is_too_big_for_one_and_fine_for_the_other()
    {
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.MapWebSocketHandler<SmallEcho>("/small");
                a.MapWebSocketHandler<LargeEcho>("/large");
                a.MapWebSocketHandler("/default", new EchoMessageHandler());
            },
            s =>
            {
                s.AddWebSocketHandler<SmallEcho>(o => (o.ReceiveBufferSize, o.MaxMessageSize) = (64, 64));
                s.AddWebSocketHandler<LargeEcho>(o => (o.ReceiveBufferSize, o.MaxMessageSize) = (128, 128));
            });

        using var small = new ClientWebSocket();
        using var large = new ClientWebSocket();
        using var defaults = new ClientWebSocket();
        await small.ConnectAsync(app.WebSocketUri("/small"), Ct);
        await large.ConnectAsync(app.WebSocketUri("/large"), Ct);
        await defaults.ConnectAsync(app.WebSocketUri("/default"), Ct);

        await small.SendBinaryAsync(new byte[100], Ct);
        await large.SendBinaryAsync(new byte[100], Ct);
        await defaults.SendBinaryAsync(new byte[4000], Ct);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await small.ReceiveMessageAsync(Ct)).CloseStatus);
        Assert.Equal(100, (await large.ReceiveMessageAsync(Ct)).Payload.Length);
        Assert.Equal(4000, (await defaults.ReceiveMessageAsync(Ct)).Payload.Length);
    }

    /// <summary>An echo; a type of its own so it gets options of its own.</summary>
    internal sealed class SmallEcho : IMessageHandler
    {
        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
            message.IsText ? connection.SendTextAsync(message.Payload) : connection.SendBinaryAsync(message.Payload);
    }

    /// <summary>Another echo type, with other options.</summary>
    internal sealed class LargeEcho : IMessageHandler
    {
        public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
            message.IsText ? connection.SendTextAsync(message.Payload) : connection.SendBinaryAsync(message.Payload);
    }
}
