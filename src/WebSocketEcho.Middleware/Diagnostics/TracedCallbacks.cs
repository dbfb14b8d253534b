using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Calls the handler's callbacks, each in an activity when the source <c>WebSocketEcho.Middleware</c> has listeners.
/// Without listeners a call is the handler's own call after one <see cref="ActivitySource.HasListeners"/> check: no
/// activity, no state machine, nothing allocated. An exception marks the activity failed and is rethrown as it was.
/// </summary>
internal static class TracedCallbacks
{
    public static ValueTask OnConnectedAsync(IMessageHandler handler, WebSocketConnection connection, EndpointContext endpoint) =>
        WebSocketActivitySource.Source.HasListeners()
            ? OnConnectedTracedAsync(handler, connection, endpoint)
            : handler.OnConnectedAsync(connection);

    public static ValueTask OnMessageAsync(IMessageHandler handler, WebSocketConnection connection, WebSocketMessage message, EndpointContext endpoint) =>
        WebSocketActivitySource.Source.HasListeners()
            ? OnMessageTracedAsync(handler, connection, message, endpoint)
            : handler.OnMessageAsync(connection, message);

    public static ValueTask OnDisconnectedAsync(IMessageHandler handler, WebSocketConnection connection, DisconnectInfo outcome, EndpointContext endpoint) =>
        WebSocketActivitySource.Source.HasListeners()
            ? OnDisconnectedTracedAsync(handler, connection, outcome, endpoint)
            : handler.OnDisconnectedAsync(connection, outcome);

    private static async ValueTask OnConnectedTracedAsync(IMessageHandler handler, WebSocketConnection connection, EndpointContext endpoint)
    {
        using var activity = WebSocketActivitySource.StartConnected(endpoint, connection);
        try
        {
            await handler.OnConnectedAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (Failed(activity, ex))
        {
            throw;
        }
    }

    // Pooled: a traced message that waits allocates no state machine for it. The activity (and the current-activity
    // change that makes it a root) ends with this method.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask OnMessageTracedAsync(IMessageHandler handler, WebSocketConnection connection, WebSocketMessage message, EndpointContext endpoint)
    {
        using var activity = WebSocketActivitySource.StartMessage(endpoint, connection, message.MessageType, message.Payload.Length);
        try
        {
            await handler.OnMessageAsync(connection, message).ConfigureAwait(false);
        }
        catch (Exception ex) when (Failed(activity, ex))
        {
            throw;
        }
    }

    private static async ValueTask OnDisconnectedTracedAsync(IMessageHandler handler, WebSocketConnection connection, DisconnectInfo outcome, EndpointContext endpoint)
    {
        using var activity = WebSocketActivitySource.StartDisconnected(endpoint, connection, outcome);
        try
        {
            await handler.OnDisconnectedAsync(connection, outcome).ConfigureAwait(false);
        }
        catch (Exception ex) when (Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Records the failure on the activity, if there is one; never catches (the filter is always false).</summary>
    private static bool Failed(Activity? activity, Exception error)
    {
        if (activity is not null)
        {
            WebSocketActivitySource.SetError(activity, error);
        }

        return false;
    }
}
