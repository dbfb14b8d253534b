using System.Net.WebSockets;
using System.Text.Unicode;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Who a pushed message goes to, from <see cref="IWebSocketPush"/> (<c>push.All</c>, <c>push.Group("room")</c>...), and
/// the sends that deliver it. Copying it is cheap; it holds no connection.
/// </summary>
/// <remarks>
/// A send completes when the message has been handed to every targeted connection on this instance (and, with a
/// backplane, to the backplane), not when the slowest connection has read it. It does not throw because one connection
/// failed or vanished: such a connection is simply not counted in <see cref="PushResult.Reached"/>. The cancellation
/// token cancels the call (nothing is sent when it is already cancelled; with a backplane, it stops waiting for it); once
/// the call has returned, the message goes out to every connection it was queued for, whatever becomes of the token.
/// </remarks>
public readonly struct PushTarget
{
    private readonly PushScope? _scope;
    private readonly string[]? _keys;
    private readonly string[]? _excluded;

    internal PushTarget(PushScope scope, PushTargetKind kind, string[] keys, string[] excluded)
    {
        _scope = scope;
        Kind = kind;
        _keys = keys;
        _excluded = excluded;
    }

    /// <summary>Gets who the message is for.</summary>
    public PushTargetKind Kind { get; }

    /// <summary>Gets the connection ids, user ids or group names the target names (see <see cref="Kind"/>); empty for <see cref="PushTargetKind.All"/>.</summary>
    public IReadOnlyList<string> Keys => _keys ?? [];

    /// <summary>Gets the ids of the connections left out, whatever else the target says.</summary>
    public IReadOnlyList<string> ExcludedConnectionIds => _excluded ?? [];

    private PushScope Scope => _scope ?? throw new InvalidOperationException("This PushTarget was not created by an IWebSocketPush; use push.All, push.Group(...) and the like.");

    /// <summary>Leaves the given connections out, typically the sender: <c>push.Group("room").Except(connection.Id)</c>.</summary>
    /// <param name="connectionIds">The ids of the connections to leave out.</param>
    /// <returns>The narrowed target.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionIds"/> is null or holds a null or empty id.</exception>
    /// <exception cref="InvalidOperationException">The target is <c>default(PushTarget)</c>, not one an <see cref="IWebSocketPush"/> made.</exception>
    public PushTarget Except(params IEnumerable<string> connectionIds)
    {
        var more = PushKeys.Validate(connectionIds, nameof(connectionIds));
        var excluded = _excluded is { Length: > 0 } ? [.. _excluded, .. more] : more;
        return new PushTarget(Scope, Kind, _keys ?? [], excluded);
    }

    /// <summary>Sends <paramref name="text"/> as one text message to every connection of the target.</summary>
    /// <param name="text">The text; it is encoded to UTF-8 once.</param>
    /// <param name="cancellationToken">Cancels the call; deliveries it queued are not taken back.</param>
    /// <returns>What the message reached.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> holds an unpaired surrogate (not encodable as UTF-8).</exception>
    /// <exception cref="InvalidOperationException">The target is <c>default(PushTarget)</c>, not one an <see cref="IWebSocketPush"/> made.</exception>
    public ValueTask<PushResult> SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scope = Scope;
        return scope.SendAsync(this, PushPayload.Encode(text), WebSocketMessageType.Text, cancellationToken);
    }

    /// <summary>Sends already UTF-8 encoded text as one text message to every connection of the target.</summary>
    /// <param name="utf8Text">The UTF-8 bytes; they are copied once, so the caller may reuse its buffer when the call returns.</param>
    /// <param name="cancellationToken">Cancels the call; deliveries it queued are not taken back.</param>
    /// <returns>What the message reached.</returns>
    /// <exception cref="ArgumentException"><paramref name="utf8Text"/> is not valid UTF-8.</exception>
    /// <exception cref="InvalidOperationException">The target is <c>default(PushTarget)</c>, not one an <see cref="IWebSocketPush"/> made.</exception>
    public ValueTask<PushResult> SendTextAsync(ReadOnlyMemory<byte> utf8Text, CancellationToken cancellationToken = default)
    {
        if (!Utf8.IsValid(utf8Text.Span))
        {
            throw new ArgumentException("The text is not valid UTF-8; send it as binary, or fix its encoding.", nameof(utf8Text));
        }

        var scope = Scope;
        return scope.SendAsync(this, utf8Text.ToArray(), WebSocketMessageType.Text, cancellationToken);
    }

    /// <summary>Sends <paramref name="data"/> as one binary message to every connection of the target.</summary>
    /// <param name="data">The bytes; they are copied once, so the caller may reuse its buffer when the call returns.</param>
    /// <param name="cancellationToken">Cancels the call; deliveries it queued are not taken back.</param>
    /// <returns>What the message reached.</returns>
    /// <exception cref="InvalidOperationException">The target is <c>default(PushTarget)</c>, not one an <see cref="IWebSocketPush"/> made.</exception>
    public ValueTask<PushResult> SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var scope = Scope;
        return scope.SendAsync(this, data.ToArray(), WebSocketMessageType.Binary, cancellationToken);
    }

    /// <summary>
    /// Sends a message as it is, text or binary, to every connection of the target: for relaying what a connection sent,
    /// <c>push.Group(room).Except(connection.Id).SendAsync(message)</c>.
    /// </summary>
    /// <param name="message">The message; its payload is copied once, so a received message's pooled buffer may be reused when the call returns.</param>
    /// <param name="cancellationToken">Cancels the call; deliveries it queued are not taken back.</param>
    /// <returns>What the message reached.</returns>
    /// <exception cref="ArgumentException">A text <paramref name="message"/> is not valid UTF-8.</exception>
    public ValueTask<PushResult> SendAsync(WebSocketMessage message, CancellationToken cancellationToken = default) => message.MessageType switch
    {
        WebSocketMessageType.Text => SendTextAsync(message.Payload, cancellationToken),
        WebSocketMessageType.Binary => SendBinaryAsync(message.Payload, cancellationToken),
        _ => throw new ArgumentException("The message is neither text nor binary.", nameof(message)),
    };

    /// <inheritdoc />
    public override string ToString() =>
        (Kind == PushTargetKind.All ? "All" : $"{Kind} [{string.Join(", ", Keys)}]")
        + (ExcludedConnectionIds.Count > 0 ? $" except [{string.Join(", ", ExcludedConnectionIds)}]" : string.Empty);

    internal string[] KeyArray => _keys ?? [];

    internal string[] ExcludedArray => _excluded ?? [];
}
