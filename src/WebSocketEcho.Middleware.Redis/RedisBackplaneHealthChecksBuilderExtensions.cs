using Microsoft.Extensions.Diagnostics.HealthChecks;
using WebSocketEcho.Middleware.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Redis backplane's health check: <c>services.AddHealthChecks().AddWebSocketRedisBackplane()</c>.</summary>
public static class RedisBackplaneHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check.</summary>
    public const string DefaultName = "websocket-redis-backplane";

    /// <summary>
    /// Adds a check that is Healthy while the Redis backplane is connected, and <paramref name="failureStatus"/>
    /// (Unhealthy by default) while Redis is unreachable, with a description saying since when and why, and data with
    /// the buffered, dropped and failed counts. Needs <c>AddRedisBackplane</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name; <see cref="DefaultName"/> by default.</param>
    /// <param name="failureStatus">The status reported while Redis is unreachable; <see cref="HealthStatus.Unhealthy"/> by default.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>).</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddWebSocketRedisBackplane(
        this IHealthChecksBuilder builder, string name = DefaultName, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            static provider => new RedisBackplaneHealthCheck(
                provider.GetService<RedisBackplane>() ?? throw new InvalidOperationException(
                    "AddWebSocketRedisBackplane() checks the Redis backplane, which is not registered: call services.AddRedisBackplane(...) (or .AddRedisBackplane(...) on AddWebSocketHandler<THandler>())."),
                provider.GetService<TimeProvider>() ?? TimeProvider.System),
            failureStatus,
            tags));
    }
}
