using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.WebUtilities;

namespace WebSocketEcho.Middleware.Testing;

/// <summary>Connects a <see cref="WebSocketTestClient"/> to a path of an in-memory <see cref="TestServer"/>.</summary>
/// <remarks>
/// With <c>WebApplicationFactory&lt;TEntryPoint&gt;</c> (Microsoft.AspNetCore.Mvc.Testing) call it on the factory's
/// <c>Server</c>: <c>await factory.Server.ConnectWebSocketAsync("/chat")</c>. This package does not depend on
/// Mvc.Testing.
/// </remarks>
public static class TestServerWebSocketExtensions
{
    /// <summary>
    /// Opens a WebSocket to <paramref name="path"/> on <paramref name="server"/> through TestHost's in-memory WebSocket
    /// client, and returns a client that sends and receives whole messages, each wait bounded by
    /// <see cref="WebSocketTestClientOptions.Timeout"/>.
    /// </summary>
    /// <param name="server">The test server, for example <c>app.GetTestServer()</c> or <c>factory.Server</c>.</param>
    /// <param name="path">The path, starting with <c>/</c>, optionally with a query: <c>"/chat"</c>, <c>"/chat?room=blue"</c>.</param>
    /// <param name="configure">Sets request headers, cookies, subprotocols, query parameters or the timeout; optional.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>The connected client. Dispose it (<c>await using</c>) to close the connection.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or does not start with <c>/</c>.</exception>
    /// <exception cref="WebSocketHandshakeRefusedException">The app answered with an HTTP status other than 101.</exception>
    /// <exception cref="TimeoutException">The app did not answer the handshake within the timeout.</exception>
    public static async Task<WebSocketTestClient> ConnectWebSocketAsync(
        this TestServer server,
        string path,
        Action<WebSocketTestClientOptions>? configure = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path[0] != '/')
        {
            throw new ArgumentException($"The path must start with '/', for example \"/chat\"; got \"{path}\".", nameof(path));
        }

        var options = new WebSocketTestClientOptions();
        configure?.Invoke(options);
        var requested = options.Query.Count == 0 ? path : QueryHelpers.AddQueryString(path, options.Query);

        var client = server.CreateWebSocketClient();
        foreach (var subProtocol in options.SubProtocols)
        {
            client.SubProtocols.Add(subProtocol);
        }

        int? answeredStatus = null;
        client.ConfigureRequest = request =>
        {
            ApplyHeaders(request, options);

            // TestHost reports a refusal only in an exception message; the response itself tells the status.
            var response = request.HttpContext.Response;
            response.OnStarting(() =>
            {
                answeredStatus = response.StatusCode;
                return Task.CompletedTask;
            });
        };

        // Bounds the handshake only: the source is disposed as soon as it completes, because TestHost aborts the
        // request (and with it the upgraded connection) if this token fires later.
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout != Timeout.InfiniteTimeSpan)
        {
            handshake.CancelAfter(options.Timeout);
        }

        WebSocket socket;
        try
        {
            socket = await client.ConnectAsync(ToWebSocketUri(server.BaseAddress, requested), handshake.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (answeredStatus is { } status && status != StatusCodes.Status101SwitchingProtocols)
        {
            throw new WebSocketHandshakeRefusedException(requested, status, ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer to the WebSocket handshake within {TimeoutRule.Format(options.Timeout)} on {requested}.");
        }

        return new WebSocketTestClient(socket, requested, options.Timeout);
    }

    private static void ApplyHeaders(HttpRequest request, WebSocketTestClientOptions options)
    {
        foreach (var (name, value) in options.Headers)
        {
            request.Headers[name] = value;
        }

        if (options.Cookies.Count > 0)
        {
            var cookies = string.Join("; ", options.Cookies.Select(cookie => $"{cookie.Key}={cookie.Value}"));
            var existing = request.Headers.Cookie.ToString();
            request.Headers.Cookie = existing.Length == 0 ? cookies : existing + "; " + cookies;
        }
    }

    /// <summary>The server's base address (http://localhost/ by default) with a ws scheme, plus the path.</summary>
    private static Uri ToWebSocketUri(Uri baseAddress, string pathAndQuery)
    {
        var scheme = baseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        var basePath = baseAddress.AbsolutePath.TrimEnd('/');
        return new Uri($"{scheme}://{baseAddress.Authority}{basePath}{pathAndQuery}");
    }
}
