using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Options of the Redis backplane (<c>AddRedisBackplane</c>). Validated when the app starts: an invalid value stops it
/// with an error naming the option. Bind them from configuration with <c>services.AddRedisBackplane(configuration.GetSection("Backplane:Redis"))</c>.
/// </summary>
public sealed class RedisBackplaneOptions
{
    /// <summary>
    /// Gets or sets the StackExchange.Redis configuration string: one or more <c>host:port</c> endpoints and options,
    /// for example <c>127.0.0.1:6379</c> or <c>redis.internal:6380,password=...,ssl=true</c>. Required unless
    /// <see cref="ConfigureConnection"/> adds the endpoints. <c>abortConnect</c> is always false, whatever the string
    /// says: the app starts and serves while Redis is down, and the backplane connects when Redis comes up.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Gets or sets a callback that adjusts the StackExchange.Redis <see cref="ConfigurationOptions"/> parsed from
    /// <see cref="Configuration"/> (TLS certificates, credentials, a retry policy...). Two settings are enforced after
    /// it runs: <see cref="ConfigurationOptions.AbortOnConnectFail"/> is false and
    /// <see cref="ConfigurationOptions.BacklogPolicy"/> is <see cref="BacklogPolicy.FailFast"/> (the backplane keeps
    /// its own bounded, counted buffer during outages instead of the client's).
    /// </summary>
    public Action<ConfigurationOptions>? ConfigureConnection { get; set; }

    /// <summary>
    /// Gets or sets the prefix of every Redis channel the backplane uses. Apps that share one Redis need different
    /// prefixes; every instance of one app must use the same. Default <c>wse</c>; 1 to 100 characters, no whitespace.
    /// </summary>
    public string ChannelPrefix { get; set; } = "wse";

    /// <summary>
    /// Gets or sets how many messages for other instances may wait to be published: during a Redis outage, until it
    /// is back, and during a burst faster than Redis takes them. A message that does not fit is dropped (counted, logged,
    /// and reported as <see cref="BackplaneDelivery.Dropped"/>). Default 10,000; 1 to 10,000,000.
    /// </summary>
    public int MaxBufferedMessages { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how many bytes (encoded messages) may wait to be published, with the same rules as
    /// <see cref="MaxBufferedMessages"/>; a single message is accepted into an empty buffer whatever its size.
    /// Default 16 MiB; at least 1 KiB.
    /// </summary>
    public long MaxBufferedBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Gets or sets how old a waiting message may get before it is dropped instead of published: after a long outage,
    /// a late message can be worse than none. Default 1 minute; more than zero, at most 1 day.
    /// </summary>
    public TimeSpan MaxBufferAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets how long <c>AddToGroupAsync</c>/<c>RemoveFromGroupAsync</c> wait for the instance holding the
    /// connection to answer; without an answer they return <see langword="false"/>. Default 5 seconds; 100 ms to 5 minutes.
    /// </summary>
    public TimeSpan GroupChangeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long the backplane waits, after Redis is back, before it publishes what it buffered during the
    /// outage: the time other instances need to reconnect and subscribe again (their reconnect attempts are up to about
    /// a second apart), so the buffered messages reach them too. Default 2 seconds; zero to 1 minute.
    /// </summary>
    public TimeSpan ReconnectFlushDelay { get; set; } = TimeSpan.FromSeconds(2);
}
