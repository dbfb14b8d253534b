namespace WebSocketEcho.Sample;

/// <summary>
/// The runtime's switch that completes socket operations on its epoll threads instead of handing each completion to
/// the thread pool (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>). The sample turns it on from configuration
/// (<c>SocketTransport:InlineSocketCompletions</c>): about +40% echo throughput with 64 and 1,000 connections on a
/// 2-core VM (docs/performance.md).
/// </summary>
/// <remarks>
/// Safe for this sample: Kestrel still runs the application (the middleware and its handlers) on the thread pool,
/// so only Kestrel's transport code runs on the epoll threads, and the sample's own code never awaits a socket of its
/// own. An application whose handlers await other sockets (HttpClient, a database driver) would resume those handlers
/// on the epoll threads and can stall every connection there: measure before copying this.
/// </remarks>
internal static class InlineSocketCompletions
{
    /// <summary>The environment variable the runtime reads once, when the first socket is used.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The configuration key, in the <c>SocketTransport</c> section.</summary>
    public const string Key = "InlineSocketCompletions";

    /// <summary>
    /// Sets the runtime's switch when the section asks for it and the environment does not already decide (an
    /// operator's own <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>, even <c>0</c>, wins). Call it before the
    /// first socket is created: the runtime reads the variable only once.
    /// </summary>
    /// <returns>What the runtime will do: <see langword="true"/> when socket completions run inline.</returns>
    public static bool Apply(IConfiguration section)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(Variable);
        if (fromEnvironment is null && bool.TryParse(section[Key], out var enable) && enable)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
            return true;
        }

        return fromEnvironment == "1";
    }
}
