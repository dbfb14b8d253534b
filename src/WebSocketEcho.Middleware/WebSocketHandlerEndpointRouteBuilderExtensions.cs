using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebSocketEcho.Middleware;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Maps WebSocket endpoints with endpoint routing: <c>app.MapWebSocketHandler("/chat/{room}", handler).RequireAuthorization()</c>.
/// </summary>
public static class WebSocketHandlerEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps WebSocket connections on the route <paramref name="pattern"/> to <paramref name="handler"/>. The endpoint
    /// matches every HTTP method, so HTTP/2 WebSockets (extended CONNECT, RFC 8441) reach it; a request that is not a
    /// WebSocket handshake gets 400. Route values are in <c>connection.HttpContext.Request.RouteValues</c>.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <param name="handler">The handler for every connection on the endpoint.</param>
    /// <returns>A builder for conventions such as <c>RequireAuthorization</c>, <c>RequireCors</c> or <c>WithName</c>.</returns>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it and its allowed range.</exception>
    public static IEndpointConventionBuilder MapWebSocketHandler(
        this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern, IMessageHandler handler) =>
        MapWebSocketHandler(endpoints, pattern, handler, static _ => { });

    /// <summary>Maps WebSocket connections on the route <paramref name="pattern"/> to <paramref name="handler"/>, with options set by <paramref name="configure"/>.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <param name="handler">The handler for every connection on the endpoint.</param>
    /// <param name="configure">Sets the endpoint's options; it runs once, now.</param>
    /// <returns>A builder for conventions such as <c>RequireAuthorization</c>, <c>RequireCors</c> or <c>WithName</c>.</returns>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it and its allowed range.</exception>
    public static IEndpointConventionBuilder MapWebSocketHandler(
        this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern, IMessageHandler handler, Action<WebSocketHandlerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(configure);

        var endpoint = WebSocketEndpointFactory.Create(endpoints.ServiceProvider, pattern, handler, handler.GetType(), Options.DefaultName, configure);
        return Map(endpoints, pattern, endpoint);
    }

    /// <summary>
    /// Maps WebSocket connections on the route <paramref name="pattern"/> to a <typeparamref name="THandler"/> from
    /// dependency injection (created with its dependencies if not registered), using the options registered with
    /// <c>services.AddWebSocketHandler&lt;THandler&gt;()</c>. One handler instance serves every connection of the endpoint.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <returns>A builder for conventions such as <c>RequireAuthorization</c>, <c>RequireCors</c> or <c>WithName</c>.</returns>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it and its allowed range.</exception>
    public static IEndpointConventionBuilder MapWebSocketHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern)
        where THandler : class, IMessageHandler
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);

        var handler = ActivatorUtilities.GetServiceOrCreateInstance<THandler>(endpoints.ServiceProvider);
        var endpoint = WebSocketEndpointFactory.Create(
            endpoints.ServiceProvider, pattern, handler, typeof(THandler), WebSocketEndpointFactory.OptionsNameFor(typeof(THandler)), configure: null);
        return Map(endpoints, pattern, endpoint);
    }

    private static IEndpointConventionBuilder Map(IEndpointRouteBuilder endpoints, string pattern, WebSocketEndpoint endpoint)
    {
        var builder = endpoints.Map(pattern, context => endpoint.HandleAsync(context, endpoint.RefuseNotWebSocketAsync));
        builder.WithDisplayName("WebSocket " + pattern);
        return builder;
    }
}
