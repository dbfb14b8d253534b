using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Takes the place of the platform's handshake feature once a connection has been accepted, so the handshake's
/// state is not kept alive for the whole life of the connection. The request still reports itself as a WebSocket
/// request; accepting it a second time fails, as it would have before.
/// </summary>
internal sealed class AcceptedWebSocketFeature : IHttpWebSocketFeature
{
    public static readonly AcceptedWebSocketFeature Instance = new();

    private AcceptedWebSocketFeature()
    {
    }

    public bool IsWebSocketRequest => true;

    public Task<WebSocket> AcceptAsync(WebSocketAcceptContext context) =>
        Task.FromException<WebSocket>(new InvalidOperationException("This WebSocket request has already been accepted."));
}
