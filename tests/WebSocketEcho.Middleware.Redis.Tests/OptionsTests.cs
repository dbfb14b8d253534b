using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis.Tests;

/// <summary>Options: validated at startup with messages naming the option, bound from configuration, applied to the Redis client.</summary>
public sealed class OptionsTests
{
    [Theory]
    [InlineData(nameof(RedisBackplaneOptions.MaxBufferedMessages), "RedisBackplaneOptions.MaxBufferedMessages must be between 1 and 10000000 (was 0).")]
    [InlineData(nameof(RedisBackplaneOptions.MaxBufferedBytes), "RedisBackplaneOptions.MaxBufferedBytes must be at least 1024 (was 10).")]
    [InlineData(nameof(RedisBackplaneOptions.MaxBufferAge), "RedisBackplaneOptions.MaxBufferAge must be more than 00:00:00 and at most 1.00:00:00 (was 00:00:00).")]
    [InlineData(nameof(RedisBackplaneOptions.GroupChangeTimeout), "RedisBackplaneOptions.GroupChangeTimeout must be between 00:00:00.1 and 00:05:00 (was 00:00:00.0010000).")]
    [InlineData(nameof(RedisBackplaneOptions.ReconnectFlushDelay), "RedisBackplaneOptions.ReconnectFlushDelay must be between 00:00:00 and 00:01:00 (was -00:00:01).")]
    [InlineData(nameof(RedisBackplaneOptions.ChannelPrefix), "RedisBackplaneOptions.ChannelPrefix must be 1 to 100 characters without whitespace (was \"my app\").")]
    public async Task An_invalid_option_stops_the_app_at_startup_with_a_message_naming_it(string option, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(options =>
        {
            options.Configuration = "127.0.0.1:1";
            switch (option)
            {
                case nameof(RedisBackplaneOptions.MaxBufferedMessages): options.MaxBufferedMessages = 0; break;
                case nameof(RedisBackplaneOptions.MaxBufferedBytes): options.MaxBufferedBytes = 10; break;
                case nameof(RedisBackplaneOptions.MaxBufferAge): options.MaxBufferAge = TimeSpan.Zero; break;
                case nameof(RedisBackplaneOptions.GroupChangeTimeout): options.GroupChangeTimeout = TimeSpan.FromMilliseconds(1); break;
                case nameof(RedisBackplaneOptions.ReconnectFlushDelay): options.ReconnectFlushDelay = TimeSpan.FromSeconds(-1); break;
                default: options.ChannelPrefix = "my app"; break;
            }
        }));

        Assert.Equal(expected, Assert.Single(error.Failures));
    }

    [Fact]
    public async Task No_configuration_stops_the_app_and_says_what_to_give()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(_ => { }));

        Assert.StartsWith("RedisBackplaneOptions.Configuration is not set: give the Redis endpoint, for example \"127.0.0.1:6379\"", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_string_that_does_not_parse_is_reported_without_echoing_it_since_it_may_hold_a_password()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(options => options.Configuration = "127.0.0.1:6379,password=s3cret,bogus=1"));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("RedisBackplaneOptions.Configuration is not a valid StackExchange.Redis configuration string:", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_never_aborts_on_connect_failure_and_fails_fast_while_disconnected_whatever_the_string_or_callback_says()
    {
        var configuration = ConnectionOptionsFactory.Create(new RedisBackplaneOptions
        {
            Configuration = "127.0.0.1:6390,abortConnect=true,password=x",
            ConfigureConnection = options =>
            {
                options.AbortOnConnectFail = true;
                options.BacklogPolicy = BacklogPolicy.Default;
                options.ClientName = "mine";
            },
        });

        Assert.False(configuration.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, configuration.BacklogPolicy);
        Assert.Equal("mine", configuration.ClientName);
        Assert.Equal("x", configuration.Password);
        Assert.IsType<ExponentialRetry>(configuration.ReconnectRetryPolicy);
    }

    [Fact]
    public void A_section_that_is_a_string_is_the_connection_string()
    {
        var options = Bind(new Dictionary<string, string?> { ["Backplane:Redis"] = "10.1.2.3:6379" });

        Assert.Equal("10.1.2.3:6379", options.Configuration);
        Assert.Equal("wse", options.ChannelPrefix);
    }

    [Fact]
    public void A_section_that_is_an_object_sets_each_option_by_name()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Backplane:Redis:Configuration"] = "redis:6380,ssl=true",
            ["Backplane:Redis:ChannelPrefix"] = "shop",
            ["Backplane:Redis:MaxBufferedMessages"] = "500",
            ["Backplane:Redis:MaxBufferedBytes"] = "1048576",
            ["Backplane:Redis:MaxBufferAge"] = "00:00:30",
            ["Backplane:Redis:GroupChangeTimeout"] = "00:00:02",
            ["Backplane:Redis:ReconnectFlushDelay"] = "00:00:00.5",
        });

        Assert.Equal(("redis:6380,ssl=true", "shop", 500, 1048576L), (options.Configuration, options.ChannelPrefix, options.MaxBufferedMessages, options.MaxBufferedBytes));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500)), (options.MaxBufferAge, options.GroupChangeTimeout, options.ReconnectFlushDelay));
    }

    [Theory]
    [InlineData("MaxBufferedMesages", "5", "Configuration key 'Backplane:Redis:MaxBufferedMesages' (value '5') is not a Redis backplane option; the options are Configuration, ChannelPrefix, MaxBufferedMessages, MaxBufferedBytes, MaxBufferAge, GroupChangeTimeout, ReconnectFlushDelay.")]
    [InlineData("MaxBufferedMessages", "lots", "Configuration key 'Backplane:Redis:MaxBufferedMessages' (value 'lots') is not a whole number.")]
    [InlineData("MaxBufferAge", "5 minutes", "Configuration key 'Backplane:Redis:MaxBufferAge' (value '5 minutes') is not a time span (for example 00:00:05 for five seconds).")]
    public void A_misspelt_key_or_a_value_that_does_not_parse_is_an_error_naming_the_key(string key, string value, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind(new Dictionary<string, string?> { ["Backplane:Redis:" + key] = value }));

        Assert.Equal(expected, error.Message);
    }

    private static RedisBackplaneOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddRedisBackplane(configuration.GetSection("Backplane:Redis"));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<RedisBackplaneOptions>>().Value;
    }

    private static async Task StartAsync(Action<RedisBackplaneOptions> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRedisBackplane().Configure(configure);
        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
