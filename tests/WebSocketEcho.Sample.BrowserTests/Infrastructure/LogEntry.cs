namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>One line of the test page's event log: its kind (open, sent, received, error, close) and text.</summary>
internal sealed record LogEntry(string Kind, string Text)
{
    public override string ToString() => $"{Kind}: {Text}";
}
