using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Testing;

/// <summary>Builds the <see cref="WebSocketMessage"/> a test passes to a handler's <see cref="IMessageHandler.OnMessageAsync"/>.</summary>
/// <example>
/// <code>await handler.OnMessageAsync(connection, TestMessages.Text("hi"));</code>
/// </example>
public static class TestMessages
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A text message holding <paramref name="text"/> as UTF-8.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentException"><paramref name="text"/> holds an unpaired surrogate: the middleware never delivers text that is not valid UTF-8.</exception>
    public static WebSocketMessage Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new WebSocketMessage(WebSocketMessageType.Text, s_strictUtf8.GetBytes(text));
    }

    /// <summary>A binary message holding a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The message.</returns>
    public static WebSocketMessage Binary(ReadOnlySpan<byte> data) => new(WebSocketMessageType.Binary, data.ToArray());
}
