using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Answers every text message with <see cref="Prefix"/> followed by the message, as text, and echoes every binary
/// message unchanged. <c>new EchoMessageHandler()</c> is a pure echo; <c>new EchoMessageHandler("Received:  ")</c>
/// replies like the Go chapter's <c>Echo</c> handler. Allocation-free per message.
/// </summary>
public sealed class EchoMessageHandler : IMessageHandler
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _prefix;

    /// <summary>Creates a pure echo: replies are identical to the messages.</summary>
    public EchoMessageHandler()
        : this(string.Empty)
    {
    }

    /// <summary>Creates an echo that puts <paramref name="prefix"/> before every text reply.</summary>
    /// <param name="prefix">The reply prefix, for example <c>"Received:  "</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> contains an unpaired surrogate and cannot be sent as UTF-8.</exception>
    public EchoMessageHandler(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
        _prefix = s_strictUtf8.GetBytes(prefix);
    }

    /// <summary>Gets the text put before every text reply.</summary>
    public string Prefix { get; }

    /// <inheritdoc />
    public ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
    {
        ArgumentNullException.ThrowIfNull(connection);

        if (!message.IsText)
        {
            return connection.SendBinaryAsync(message.Payload);
        }

        if (_prefix.Length == 0)
        {
            return SendText(connection, message.Payload);
        }

        var length = _prefix.Length + message.Payload.Length;
        var reply = ArrayPool<byte>.Shared.Rent(length);
        _prefix.CopyTo(reply, 0);
        message.Payload.Span.CopyTo(reply.AsSpan(_prefix.Length));

        ValueTask send;
        try
        {
            send = SendText(connection, reply.AsMemory(0, length));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(reply);
            throw;
        }

        if (send.IsCompleted)
        {
            ArrayPool<byte>.Shared.Return(reply);
            return send;
        }

        return ReturnWhenSentAsync(send, reply);
    }

    // Received text is valid UTF-8 (the platform checks it) and so is the prefix: skip re-validating it.
    private static ValueTask SendText(IWebSocketConnection connection, ReadOnlyMemory<byte> utf8) =>
        connection is WebSocketConnection ours
            ? ours.SendAsync(utf8, WebSocketMessageType.Text, CancellationToken.None)
            : connection.SendTextAsync(utf8);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask ReturnWhenSentAsync(ValueTask send, byte[] reply)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(reply);
        }
    }
}
