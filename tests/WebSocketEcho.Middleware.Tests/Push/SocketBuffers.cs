using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Socket buffers for tests where a peer stops reading. Loopback sockets otherwise autotune to megabytes, so a peer that
/// stops reading would swallow megabytes before the server's sends block. A "slow" peer here has a tiny fixed receive
/// buffer and its server-side socket a tiny fixed send buffer, so once Kestrel's own output buffer (64 KiB by default) is
/// full too, the server's sends to it block, as they would over a real network: a message of 256 KiB or more to it
/// cannot finish until it reads.
/// </summary>
internal static class SocketBuffers
{
    /// <summary>The query string that marks a slow peer's upgrade request.</summary>
    public const string SlowQuery = "?slow=1";

    /// <summary>The send buffer of a slow peer's server-side socket (the kernel doubles it).</summary>
    public const int SlowServerSendBuffer = 4 * 1024;

    /// <summary>The receive buffer of a slow peer's client socket (the kernel doubles it).</summary>
    public const int SlowClientReceiveBuffer = 1024;

    /// <summary>
    /// Adds a middleware (before the WebSocket endpoints) that fixes the server-side send buffer of connections whose
    /// upgrade request carries <see cref="SlowQuery"/> to <see cref="SlowServerSendBuffer"/>. Kestrel only.
    /// </summary>
    public static void UseSmallSendBuffersForSlowPeers(WebApplication app) => app.Use((context, next) =>
    {
        if (context.Request.Query.ContainsKey("slow"))
        {
            var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket
                ?? throw new InvalidOperationException("The connection's socket is not available; this needs Kestrel's socket transport.");
            socket.SendBufferSize = SlowServerSendBuffer;
        }

        return next(context);
    });

    /// <summary>
    /// An HTTP handler whose connections have a fixed receive buffer of <paramref name="receiveBufferSize"/> bytes, for
    /// <c>ClientWebSocket.ConnectAsync(uri, invoker, ct)</c>. One invoker serves any number of WebSocket clients.
    /// </summary>
    public static HttpMessageInvoker ClientInvoker(int receiveBufferSize) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = receiveBufferSize };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    /// <summary>The handler a slow peer connects through: <see cref="SlowClientReceiveBuffer"/> bytes of receive buffer.</summary>
    public static HttpMessageInvoker SlowClientInvoker() => ClientInvoker(SlowClientReceiveBuffer);
}
