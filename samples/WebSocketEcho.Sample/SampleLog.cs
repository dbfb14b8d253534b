namespace WebSocketEcho.Sample;

/// <summary>The sample's own log lines (the middleware logs under its own category, event ids 1-16).</summary>
internal static partial class SampleLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Socket completions run inline on the runtime's I/O threads ({Variable}=1).")]
    public static partial void InlineSocketCompletionsOn(ILogger logger, string variable);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Socket completions are dispatched to the thread pool (the runtime's default).")]
    public static partial void InlineSocketCompletionsOff(ILogger logger);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "HTTPS on {Url} with the certificate configured in {Section}.")]
    public static partial void HttpsWithConfiguredCertificate(ILogger logger, string url, string section);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "HTTPS on {Url} with the ASP.NET Core development certificate (valid until {NotAfter:u}).")]
    public static partial void HttpsWithDevelopmentCertificate(ILogger logger, string url, DateTime notAfter);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "HTTP only: no certificate for {Url}. To serve https and wss:// too, run `dotnet dev-certs https --trust` or set {Section}:Path (and :Password) to a PFX file.")]
    public static partial void HttpsNeedsCertificate(ILogger logger, string url, string section);
}
