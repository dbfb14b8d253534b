using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WebSocketEcho.Middleware;
using WebSocketEcho.Middleware.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Turns on the Redis backplane: pushes to all, groups, users and connection ids reach the connections of every
/// instance of the app connected to the same Redis (and the same <see cref="RedisBackplaneOptions.ChannelPrefix"/>).
/// The backplane is app-wide: it serves every handler type, whichever builder it was added from.
/// </summary>
public static class RedisBackplaneServiceCollectionExtensions
{
    /// <summary>
    /// Turns on the Redis backplane for the whole app: <c>services.AddWebSocketHandler&lt;ChatHandler&gt;().AddRedisBackplane("127.0.0.1:6379")</c>.
    /// </summary>
    /// <param name="builder">The options builder <c>AddWebSocketHandler</c> returned.</param>
    /// <param name="configuration">The StackExchange.Redis configuration string, for example <c>127.0.0.1:6379</c>.</param>
    /// <returns>The builder of the backplane's options, to adjust them (<c>.Configure(o => ...)</c>).</returns>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> is null or empty.</exception>
    public static OptionsBuilder<RedisBackplaneOptions> AddRedisBackplane(this OptionsBuilder<WebSocketHandlerOptions> builder, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddRedisBackplane(configuration);
    }

    /// <summary>
    /// Turns on the Redis backplane for the whole app with options from configuration:
    /// <c>services.AddWebSocketHandler&lt;ChatHandler&gt;().AddRedisBackplane(builder.Configuration.GetSection("Backplane:Redis"))</c>.
    /// </summary>
    /// <param name="builder">The options builder <c>AddWebSocketHandler</c> returned.</param>
    /// <param name="configuration">The section: a connection string, or an object with the option names as keys.</param>
    /// <returns>The builder of the backplane's options.</returns>
    public static OptionsBuilder<RedisBackplaneOptions> AddRedisBackplane(this OptionsBuilder<WebSocketHandlerOptions> builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddRedisBackplane(configuration);
    }

    /// <summary>
    /// Turns on the Redis backplane with options set on the returned builder:
    /// <c>services.AddRedisBackplane().Configure(o => o.Configuration = "127.0.0.1:6379")</c>. Options are validated
    /// when the app starts. Calling it again changes nothing but the options.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The builder of the backplane's options.</returns>
    public static OptionsBuilder<RedisBackplaneOptions> AddRedisBackplane(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddWebSocketPush();
        services.TryAddSingleton(static provider => new RedisBackplane(
            provider.GetRequiredService<IOptions<RedisBackplaneOptions>>(),
            provider.GetService<ILoggerFactory>(),
            provider.GetService<IMeterFactory>(),
            provider.GetService<TimeProvider>()));
        if (!services.Any(static d => d.ServiceType == typeof(WebSocketBackplane) && d.ImplementationFactory == s_backplane))
        {
            services.RemoveAll<WebSocketBackplane>();
            services.AddSingleton(typeof(WebSocketBackplane), s_backplane);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisBackplaneOptions>, RedisBackplaneOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisBackplaneStarter>(static provider => new RedisBackplaneStarter(provider.GetRequiredService<RedisBackplane>())));
        return services.AddOptions<RedisBackplaneOptions>().ValidateOnStart();
    }

    /// <summary>Turns on the Redis backplane: <c>services.AddRedisBackplane("127.0.0.1:6379")</c>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The StackExchange.Redis configuration string, for example <c>127.0.0.1:6379</c>.</param>
    /// <returns>The builder of the backplane's options.</returns>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> is null or empty.</exception>
    public static OptionsBuilder<RedisBackplaneOptions> AddRedisBackplane(this IServiceCollection services, string configuration)
    {
        ArgumentException.ThrowIfNullOrEmpty(configuration);
        return services.AddRedisBackplane().Configure(options => options.Configuration = configuration);
    }

    /// <summary>
    /// Turns on the Redis backplane with options from configuration: <c>services.AddRedisBackplane(configuration.GetSection("Backplane:Redis"))</c>.
    /// The section is either the connection string itself (<c>"Backplane:Redis": "127.0.0.1:6379"</c>, or the
    /// environment variable <c>Backplane__Redis</c>) or an object whose keys are the names of
    /// <see cref="RedisBackplaneOptions"/> (time spans as <c>00:00:05</c>). Read without reflection (Native AOT safe);
    /// an unknown key or a value that does not parse stops the app at startup with an error naming the key.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section.</param>
    /// <returns>The builder of the backplane's options.</returns>
    public static OptionsBuilder<RedisBackplaneOptions> AddRedisBackplane(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddRedisBackplane().Configure(options => RedisBackplaneConfigurationBinder.Bind(configuration, options));
    }

    private static readonly Func<IServiceProvider, object> s_backplane = static provider => provider.GetRequiredService<RedisBackplane>();
}
