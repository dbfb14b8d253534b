namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>Upper bounds for CLI steps on a loaded 2-core machine; a step that hits one fails with its output.</summary>
internal static class Timeouts
{
    /// <summary>Restore, build, pack or a template: seconds normally.</summary>
    public static readonly TimeSpan Command = TimeSpan.FromMinutes(4);

    /// <summary>A Native AOT publish: about a minute normally, several under load or with a cold package cache.</summary>
    public static readonly TimeSpan AotPublish = TimeSpan.FromMinutes(8);

    /// <summary>An app starting up, or shutting down.</summary>
    public static readonly TimeSpan AppStart = TimeSpan.FromSeconds(60);
}
