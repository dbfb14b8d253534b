namespace WebSocketEcho.Middleware;

/// <summary>Why a WebSocket connection ended.</summary>
public enum DisconnectReason
{
    /// <summary>The peer started the close handshake; the server answered it.</summary>
    ClosedByPeer = 0,

    /// <summary>The application closed the connection with <see cref="IWebSocketConnection.CloseAsync"/>.</summary>
    ClosedByServer = 1,

    /// <summary>The host is shutting down; the connection was closed with 1001 (Going Away).</summary>
    ServerShutdown = 2,

    /// <summary>The transport ended without a close handshake: the peer vanished, reset the connection or the connection was aborted.</summary>
    ConnectionLost = 3,

    /// <summary>The peer broke RFC 6455 (1002 Protocol Error) or sent invalid UTF-8 in a text message (1007 Invalid Payload Data).</summary>
    ProtocolError = 4,

    /// <summary>A message was bigger than <see cref="WebSocketHandlerOptions.MaxMessageSize"/> or had more than <see cref="WebSocketHandlerOptions.MaxFragmentsPerMessage"/> fragments (1009 Message Too Big).</summary>
    MessageTooBig = 5,

    /// <summary>The handler threw; the connection was closed with 1011 (Internal Error).</summary>
    HandlerError = 6,

    /// <summary>The peer did not answer a keep-alive ping within <see cref="WebSocketHandlerOptions.KeepAliveTimeout"/>.</summary>
    KeepAliveTimeout = 7,

    /// <summary>The peer sent no message for <see cref="WebSocketHandlerOptions.IdleTimeout"/>; the connection was closed with 1001 (Going Away).</summary>
    IdleTimeout = 8,

    /// <summary>The peer did not read fast enough: a send exceeded <see cref="WebSocketHandlerOptions.SendTimeout"/> or <see cref="WebSocketHandlerOptions.MaxPendingSendBytes"/> (1008 Policy Violation).</summary>
    SlowConsumer = 9,
}
