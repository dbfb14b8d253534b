using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>How a WebSocket connection ended: passed to <see cref="IMessageHandler.OnDisconnectedAsync"/>.</summary>
public readonly struct DisconnectInfo
{
    /// <summary>Creates a description of how a connection ended.</summary>
    /// <param name="reason">Why the connection ended.</param>
    /// <param name="closeStatus">The close status that ended it, if a close frame was exchanged.</param>
    /// <param name="closeStatusDescription">The close reason that went with <paramref name="closeStatus"/>.</param>
    /// <param name="error">The error that ended the connection, if any.</param>
    public DisconnectInfo(DisconnectReason reason, WebSocketCloseStatus? closeStatus, string? closeStatusDescription, Exception? error)
    {
        Reason = reason;
        CloseStatus = closeStatus;
        CloseStatusDescription = closeStatusDescription;
        Error = error;
    }

    /// <summary>Gets why the connection ended.</summary>
    public DisconnectReason Reason { get; }

    /// <summary>
    /// Gets the close status that ended the connection: the peer's when it closed first, otherwise the one the
    /// server sent; <see langword="null"/> when the connection ended without a close frame.
    /// </summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    /// <summary>Gets the close reason that went with <see cref="CloseStatus"/>, or <see langword="null"/>.</summary>
    public string? CloseStatusDescription { get; }

    /// <summary>Gets the error that ended the connection (a handler exception, a transport or protocol error), or <see langword="null"/>.</summary>
    public Exception? Error { get; }

    /// <inheritdoc />
    public override string ToString() =>
        CloseStatus is { } status ? $"{Reason} ({(int)status} {CloseStatusDescription})" : Reason.ToString();
}
