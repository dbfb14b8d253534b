namespace WebSocketEcho.Sample;

/// <summary>
/// Kestrel's socket transport as the sample runs it (docs/performance.md): inline socket completions from
/// <c>SocketTransport:InlineSocketCompletions</c>, and the socket transport options of the same section.
/// </summary>
internal static class SampleSocketTransport
{
    /// <summary>
    /// Applies the <c>SocketTransport</c> section. Runs before the host is built, because the runtime reads the
    /// inline-completions switch once, when the first socket is created.
    /// </summary>
    /// <returns>What the runtime will do, for <see cref="Log"/> once the app's logger exists.</returns>
    public static SocketScheduling UseSampleSocketTransport(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(SocketTransportConfiguration.SectionName);
        var inline = InlineSocketCompletions.Apply(section);
        builder.WebHost.UseSockets(options => SocketTransportConfiguration.Apply(options, section));
        return new SocketScheduling(inline);
    }

    /// <summary>Logs how socket completions are scheduled (one line).</summary>
    public static void Log(this SocketScheduling scheduling, ILogger logger)
    {
        if (scheduling.InlineCompletions)
        {
            SampleLog.InlineSocketCompletionsOn(logger, InlineSocketCompletions.Variable);
        }
        else
        {
            SampleLog.InlineSocketCompletionsOff(logger);
        }
    }
}
