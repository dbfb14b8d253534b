using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using WebSocketEcho.Middleware;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers WebSocket handlers and their options with dependency injection.</summary>
public static class WebSocketHandlerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="THandler"/> as a singleton (unless already registered) with options of its own,
    /// validated when the host starts. <c>UseWebSocketHandler&lt;THandler&gt;</c> and <c>MapWebSocketHandler&lt;THandler&gt;</c>
    /// use both. Chain <c>.BindConfiguration("section")</c> to read the options from configuration.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The builder of the handler's options (named after the handler type).</returns>
    public static OptionsBuilder<WebSocketHandlerOptions> AddWebSocketHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services)
        where THandler : class, IMessageHandler
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddWebSocketPush();
        services.TryAddSingleton<IWebSocketPush<THandler>, WebSocketPush<THandler>>();
        services.TryAddSingleton<THandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebSocketHandlerOptions>, WebSocketHandlerOptionsValidator>());
        return services
            .AddOptions<WebSocketHandlerOptions>(WebSocketEndpointFactory.OptionsNameFor(typeof(THandler)))
            .ValidateOnStart();
    }

    /// <summary>
    /// Registers what pushing to WebSocket connections from anywhere needs: <see cref="IWebSocketPush{THandler}"/> for every
    /// handler type. Unless you register your own <see cref="IWebSocketUserIdProvider"/> (in any order), user ids are the
    /// upgrade request's NameIdentifier claim; unless you register a <see cref="WebSocketBackplane"/>, pushes reach this
    /// instance only. <c>AddWebSocketHandler&lt;THandler&gt;()</c> calls it; call it yourself when your endpoints use handler
    /// instances (<c>app.UseWebSocketHandler(path, new MyHandler())</c>). Calling it more than once changes nothing.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddWebSocketPush(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.TryAddSingleton(static provider => new PushHubs(provider));
        services.TryAdd(ServiceDescriptor.Singleton(typeof(IWebSocketPush<>), typeof(WebSocketPush<>)));
        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="THandler"/> as a singleton (unless already registered) with options set by
    /// <paramref name="configure"/>, validated when the host starts.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the handler's options.</param>
    /// <returns>The builder of the handler's options (named after the handler type).</returns>
    public static OptionsBuilder<WebSocketHandlerOptions> AddWebSocketHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, Action<WebSocketHandlerOptions> configure)
        where THandler : class, IMessageHandler
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddWebSocketHandler<THandler>().Configure(configure);
    }
}
