using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>Maps WebSocket endpoints the way <c>UseWebSocketHandler</c> does, but hands the endpoint to the test, so it can look at its <see cref="ConnectionRegistry"/>.</summary>
internal static class ProbedEndpoints
{
    /// <summary>Same as <c>app.UseWebSocketHandler(path, handler, configure)</c>; returns the endpoint.</summary>
    public static WebSocketEndpoint UseProbedWebSocketHandler(this WebApplication app, string path, IMessageHandler handler, Action<WebSocketHandlerOptions>? configure = null)
    {
        var endpoint = WebSocketEndpointFactory.Create(app.Services, path, handler, handler.GetType(), Options.DefaultName, configure);
        app.Use(next => new WebSocketHandlerMiddleware(next, path, endpoint).InvokeAsync);
        return endpoint;
    }

    /// <summary>Waits until the endpoint holds <paramref name="count"/> connections; false if it does not within <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitForCountAsync(this ConnectionRegistry registry, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (registry.Count != count)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        return true;
    }
}
