using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Recognises the platform's keep-alive timeout in a failed receive. A workaround: the platform reports it with no error
/// code of its own, so it is found by its message. Called by the outcome when the receive loop's receive fails.
/// </summary>
/// <remarks>
/// The platform's keep-alive timeout (https://github.com/dotnet/runtime/issues/48729, implemented by
/// https://github.com/dotnet/runtime/pull/105841) aborts the WebSocket with a <see cref="WebSocketException"/> whose code
/// is <see cref="WebSocketError.Faulted"/>, like a protocol error, and whose message names the option: "The WebSocket
/// didn't receive a Pong frame in response to a Ping frame within the configured KeepAliveTimeout". It is thrown by
/// <c>ManagedWebSocket.KeepAlivePingHeartBeat</c> in
/// https://github.com/dotnet/runtime/blob/main/src/libraries/System.Net.WebSockets/src/System/Net/WebSockets/ManagedWebSocket.KeepAlive.cs
/// (the message is shown in https://learn.microsoft.com/dotnet/fundamentals/networking/websockets). No runtime issue
/// asks for a code of its own yet. The keep-alive tests notice if the message changes.
/// </remarks>
internal static class KeepAliveTimeoutError
{
    /// <summary>
    /// Finds out whether a failed receive means the keep-alive timed out, and returns the platform's error that says so,
    /// or null. The platform's WebSocket aborts itself then and keeps that error: when the transport's pending read
    /// fails with a non-cancellation error, the receive throws it wrapped together with the keep-alive error; but Kestrel
    /// fails the read with a ConnectionAbortedException, a cancellation, which the receive rethrows as is. The keep-alive
    /// error is then only reported by the next call on the aborted socket, as the inner exception of its invalid-state
    /// error: ask once.
    /// </summary>
    public static WebSocketException? Find(WebSocket socket, EndpointSettings settings, Exception error)
    {
        if (!settings.KeepAliveEnabled || settings.KeepAliveTimeout == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        var found = FindIn(error);
        if (found is not null || socket.State != WebSocketState.Aborted)
        {
            return found;
        }

        var probe = socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
        if (!probe.IsCompleted)
        {
            // Not expected on an aborted socket; do not leave the receive unobserved.
            Unawaited.Observe(probe.AsTask());
            return null;
        }

        return probe.IsFaulted ? FindIn(probe.AsTask().Exception) : null;
    }

    private static WebSocketException? FindIn(Exception? error) => error switch
    {
        null => null,
        WebSocketException ws when ws.Message.Contains("KeepAliveTimeout", StringComparison.Ordinal) => ws,
        AggregateException aggregate => aggregate.InnerExceptions.Select(FindIn).FirstOrDefault(e => e is not null),
        _ => FindIn(error.InnerException),
    };
}
