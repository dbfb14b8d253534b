using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Testing;

/// <summary>What one read of a test client's socket produced: a whole message, the server's close frame, or the end of the connection without one.</summary>
internal sealed class ReceivedItem
{
    private const int MaxQuotedChars = 200;

    private ReceivedItem(WebSocketMessageType type, byte[] payload, WebSocketCloseStatus? closeStatus, string? closeDescription, Exception? error)
    {
        Type = type;
        Payload = payload;
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
        Error = error;
    }

    public WebSocketMessageType Type { get; }

    public byte[] Payload { get; }

    public WebSocketCloseStatus? CloseStatus { get; }

    public string? CloseDescription { get; }

    /// <summary>Gets the error that ended the connection without a close frame, or null.</summary>
    public Exception? Error { get; }

    public bool IsMessage => Type != WebSocketMessageType.Close;

    public bool IsClose => Type == WebSocketMessageType.Close && Error is null;

    public static ReceivedItem Message(WebSocketMessageType type, byte[] payload) => new(type, payload, null, null, null);

    public static ReceivedItem Close(WebSocketCloseStatus? status, string? description) => new(WebSocketMessageType.Close, [], status, description, null);

    public static ReceivedItem Lost(Exception error) => new(WebSocketMessageType.Close, [], null, null, error);

    /// <summary>Describes the item for a failure message: what the test got instead of what it expected.</summary>
    public string Describe() => this switch
    {
        { Error: { } error } => $"the connection ended without a close frame ({error.GetType().Name}: {error.Message})",
        { IsClose: true } => $"the server closed the connection with {FormatStatus(CloseStatus)} {Quote(CloseDescription ?? string.Empty)}",
        { Type: WebSocketMessageType.Text } => $"received a text message {Quote(Encoding.UTF8.GetString(Payload))}",
        _ => $"received a binary message of {Payload.Length} bytes",
    };

    /// <summary>"1009 (MessageTooBig)" for a named status, "4000" for an application's own.</summary>
    public static string FormatStatus(WebSocketCloseStatus? status) =>
        status is not { } value ? "no status"
        : Enum.IsDefined(value) ? $"{(int)value} ({value})"
        : ((int)value).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Quote(string text) =>
        text.Length <= MaxQuotedChars ? $"\"{text}\"" : $"\"{text[..MaxQuotedChars]}...\" ({text.Length} chars)";
}
