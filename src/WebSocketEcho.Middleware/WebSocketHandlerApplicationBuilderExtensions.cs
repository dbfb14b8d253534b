using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebSocketEcho.Middleware;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds WebSocket endpoints to a middleware pipeline: <c>app.UseWebSocketHandler("/echo", new EchoMessageHandler())</c>.</summary>
public static class WebSocketHandlerApplicationBuilderExtensions
{
    /// <summary>
    /// Serves WebSocket connections on <paramref name="path"/> with <paramref name="handler"/>. Other paths, and plain
    /// HTTP requests to the path, pass to the next middleware untouched. <c>app.UseWebSockets()</c> is not needed.
    /// Options come from <c>services.Configure&lt;WebSocketHandlerOptions&gt;(...)</c> when configured, else the defaults.
    /// </summary>
    /// <param name="app">The application's pipeline.</param>
    /// <param name="path">The exact path (a trailing slash is also accepted), for example <c>/echo</c>.</param>
    /// <param name="handler">The handler for every connection on the path.</param>
    /// <returns>The pipeline, for chaining.</returns>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it and its allowed range.</exception>
    public static IApplicationBuilder UseWebSocketHandler(this IApplicationBuilder app, PathString path, IMessageHandler handler) =>
        UseWebSocketHandler(app, path, handler, static _ => { });

    /// <summary>
    /// Serves WebSocket connections on <paramref name="path"/> with <paramref name="handler"/> and options set by
    /// <paramref name="configure"/>. Other paths, and plain HTTP requests to the path, pass to the next middleware untouched.
    /// </summary>
    /// <param name="app">The application's pipeline.</param>
    /// <param name="path">The exact path (a trailing slash is also accepted), for example <c>/echo</c>.</param>
    /// <param name="handler">The handler for every connection on the path.</param>
    /// <param name="configure">Sets the endpoint's options; it runs once, now.</param>
    /// <returns>The pipeline, for chaining.</returns>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it and its allowed range.</exception>
    public static IApplicationBuilder UseWebSocketHandler(this IApplicationBuilder app, PathString path, IMessageHandler handler, Action<WebSocketHandlerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(configure);
        ThrowIfEmpty(path);

        var endpoint = WebSocketEndpointFactory.Create(app.ApplicationServices, path.Value!, handler, handler.GetType(), Options.DefaultName, configure);
        return app.Use(next => new WebSocketHandlerMiddleware(next, path, endpoint).InvokeAsync);
    }

    /// <summary>
    /// Serves WebSocket connections on <paramref name="path"/> with a <typeparamref name="THandler"/> from dependency
    /// injection (created with its dependencies if not registered), using the options registered with
    /// <c>services.AddWebSocketHandler&lt;THandler&gt;()</c>. One handler instance serves every connection of the endpoint.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="app">The application's pipeline.</param>
    /// <param name="path">The exact path (a trailing slash is also accepted), for example <c>/chat</c>.</param>
    /// <returns>The pipeline, for chaining.</returns>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it and its allowed range.</exception>
    public static IApplicationBuilder UseWebSocketHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IApplicationBuilder app, PathString path)
        where THandler : class, IMessageHandler
    {
        ArgumentNullException.ThrowIfNull(app);
        ThrowIfEmpty(path);

        var handler = ActivatorUtilities.GetServiceOrCreateInstance<THandler>(app.ApplicationServices);
        var endpoint = WebSocketEndpointFactory.Create(
            app.ApplicationServices, path.Value!, handler, typeof(THandler), WebSocketEndpointFactory.OptionsNameFor(typeof(THandler)), configure: null);
        return app.Use(next => new WebSocketHandlerMiddleware(next, path, endpoint).InvokeAsync);
    }

    private static void ThrowIfEmpty(PathString path)
    {
        if (!path.HasValue)
        {
            throw new ArgumentException("The path must not be empty; use \"/\" for the root.", nameof(path));
        }
    }
}
