using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>Turns <see cref="RedisBackplaneOptions"/> into the StackExchange.Redis <see cref="ConfigurationOptions"/> the backplane connects with.</summary>
internal static class ConnectionOptionsFactory
{
    /// <summary>Reconnect attempts start 250 ms apart and back off to at most 1 s, so an outage ends for every instance within about a second of Redis coming back.</summary>
    private const int FirstRetryMilliseconds = 250;
    private const int MaxRetryMilliseconds = 1000;

    public static ConfigurationOptions Create(RedisBackplaneOptions options)
    {
        var configuration = string.IsNullOrWhiteSpace(options.Configuration)
            ? new ConfigurationOptions()
            : ConfigurationOptions.Parse(options.Configuration);
        configuration.ReconnectRetryPolicy = new ExponentialRetry(FirstRetryMilliseconds, MaxRetryMilliseconds);
        options.ConfigureConnection?.Invoke(configuration);

        // Never refuse to start, never block a caller while disconnected: the backplane buffers and counts itself.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        return configuration;
    }

    /// <summary>Describes what is wrong with the connection settings, or returns null when they can be used.</summary>
    public static string? Describe(RedisBackplaneOptions options)
    {
        const string Option = nameof(RedisBackplaneOptions) + "." + nameof(RedisBackplaneOptions.Configuration);
        if (string.IsNullOrWhiteSpace(options.Configuration) && options.ConfigureConnection is null)
        {
            return $"{Option} is not set: give the Redis endpoint, for example \"127.0.0.1:6379\" (or add endpoints in {nameof(RedisBackplaneOptions.ConfigureConnection)}).";
        }

        ConfigurationOptions configuration;
        try
        {
            configuration = Create(options);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException)
        {
            // The string is not echoed: it may hold a password.
            return $"{Option} is not a valid StackExchange.Redis configuration string: {ex.Message}";
        }

        return configuration.EndPoints.Count == 0
            ? $"{Option} names no endpoint: give at least one host:port, for example \"127.0.0.1:6379\"."
            : null;
    }
}
