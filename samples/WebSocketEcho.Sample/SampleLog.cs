namespace WebSocketEcho.Sample;

/// <summary>The sample's own log lines (the middleware logs under its own category, event ids 1-16).</summary>
internal static partial class SampleLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Socket completions run inline on the runtime's I/O threads ({Variable}=1).")]
    public static partial void InlineSocketCompletionsOn(ILogger logger, string variable);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Socket completions are dispatched to the thread pool (the runtime's default).")]
    public static partial void InlineSocketCompletionsOff(ILogger logger);
}
