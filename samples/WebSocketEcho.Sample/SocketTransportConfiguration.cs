using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace WebSocketEcho.Sample;

/// <summary>
/// Kestrel's socket transport options from the <c>SocketTransport</c> configuration section (appsettings.json,
/// or environment variables such as <c>SocketTransport__IOQueueCount=0</c>). Unset keys keep Kestrel's defaults.
/// Read key by key, without reflection, so the sample still publishes with Native AOT.
/// </summary>
internal static class SocketTransportConfiguration
{
    public const string SectionName = "SocketTransport";

    public static void Apply(SocketTransportOptions options, IConfiguration section)
    {
        if (int.TryParse(section["IOQueueCount"], out var queues))
        {
            options.IOQueueCount = queues;
        }

        if (bool.TryParse(section["UnsafePreferInlineScheduling"], out var inline))
        {
            options.UnsafePreferInlineScheduling = inline;
        }

        if (bool.TryParse(section["WaitForDataBeforeAllocatingBuffer"], out var wait))
        {
            options.WaitForDataBeforeAllocatingBuffer = wait;
        }
    }
}
