using System.Buffers;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware;

/// <summary>Builds a <see cref="WebSocketEndpoint"/> from the app's services: options (validated now, at startup), logging, metrics, shutdown.</summary>
internal static class WebSocketEndpointFactory
{
    public static WebSocketEndpoint Create(
        IServiceProvider services, string name, IMessageHandler handler, Type handlerType, string optionsName, Action<WebSocketHandlerOptions>? configure)
    {
        var options = ResolveOptions(services, optionsName, configure);
        var push = PushHubs.For(services).GetScope(handlerType);
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var context = new EndpointContext(
            name,
            new EndpointSettings(options),
            loggerFactory.CreateLogger(Log.Category),
            WebSocketMetrics.For(services.GetService<IMeterFactory>()),
            services.GetService<BufferPoolProvider>()?.Pool ?? ArrayPool<byte>.Shared,
            push);
        var endpoint = new WebSocketEndpoint(context, handler, loggerFactory);
        push.AttachEndpoint();

        if (services.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            lifetime.ApplicationStopping.Register(static registry => ((ConnectionRegistry)registry!).BeginShutdown(), endpoint.Registry);
            lifetime.ApplicationStopped.Register(static registry => ((ConnectionRegistry)registry!).Dispose(), endpoint.Registry);
        }

        return endpoint;
    }

    /// <summary>
    /// The endpoint's options: the named options from DI (default name for handler instances, the handler type's name
    /// for DI handlers), then <paramref name="configure"/>; invalid values throw <see cref="OptionsValidationException"/> here.
    /// </summary>
    internal static WebSocketHandlerOptions ResolveOptions(IServiceProvider services, string optionsName, Action<WebSocketHandlerOptions>? configure)
    {
        var monitor = services.GetService<IOptionsMonitor<WebSocketHandlerOptions>>();
        var options = monitor?.Get(optionsName).Clone() ?? new WebSocketHandlerOptions();
        configure?.Invoke(options);
        WebSocketHandlerOptionsValidator.ThrowIfInvalid(options, optionsName);
        return options;
    }

    /// <summary>The options name a DI-activated handler type's endpoint uses.</summary>
    internal static string OptionsNameFor(Type handlerType) => handlerType.FullName ?? handlerType.Name;
}
