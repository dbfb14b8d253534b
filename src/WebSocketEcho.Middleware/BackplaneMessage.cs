using System.Net.WebSockets;

namespace WebSocketEcho.Middleware;

/// <summary>
/// A pushed message on its way between instances: what a <see cref="WebSocketBackplane"/> carries. The publishing
/// instance has already delivered it to its own connections; the backplane hands it to
/// <see cref="BackplaneReceiver.Deliver"/> on every other instance.
/// </summary>
public sealed class BackplaneMessage
{
    /// <summary>Creates a message.</summary>
    /// <param name="scope">The push scope: the full name of the handler type whose connections it is for.</param>
    /// <param name="targetKind">Who the message is for.</param>
    /// <param name="keys">The connection ids, user ids or group names (none for <see cref="PushTargetKind.All"/>).</param>
    /// <param name="excludedConnectionIds">Connections left out.</param>
    /// <param name="messageType">Text or binary.</param>
    /// <param name="payload">The message; for text, valid UTF-8.</param>
    /// <exception cref="ArgumentException">An argument is null, empty where it must not be, or out of range.</exception>
    public BackplaneMessage(
        string scope,
        PushTargetKind targetKind,
        IReadOnlyList<string> keys,
        IReadOnlyList<string> excludedConnectionIds,
        WebSocketMessageType messageType,
        ReadOnlyMemory<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(excludedConnectionIds);
        if (!Enum.IsDefined(targetKind))
        {
            throw new ArgumentOutOfRangeException(nameof(targetKind), targetKind, "Not a push target kind.");
        }

        if (targetKind != PushTargetKind.All && keys.Count == 0)
        {
            throw new ArgumentException("A target other than All names at least one key.", nameof(keys));
        }

        if (messageType is not (WebSocketMessageType.Text or WebSocketMessageType.Binary))
        {
            throw new ArgumentOutOfRangeException(nameof(messageType), messageType, "A message is either Text or Binary.");
        }

        Scope = scope;
        TargetKind = targetKind;
        Keys = keys;
        ExcludedConnectionIds = excludedConnectionIds;
        MessageType = messageType;
        Payload = payload;
    }

    /// <summary>Gets the push scope: the full name of the handler type whose connections the message is for.</summary>
    public string Scope { get; }

    /// <summary>Gets who the message is for.</summary>
    public PushTargetKind TargetKind { get; }

    /// <summary>Gets the connection ids, user ids or group names, according to <see cref="TargetKind"/>.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Gets the ids of the connections left out.</summary>
    public IReadOnlyList<string> ExcludedConnectionIds { get; }

    /// <summary>Gets the message type: text or binary.</summary>
    public WebSocketMessageType MessageType { get; }

    /// <summary>Gets the message's bytes; UTF-8 for text.</summary>
    public ReadOnlyMemory<byte> Payload { get; }
}
