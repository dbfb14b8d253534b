using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// Kestrel socket transport knobs from the <c>SocketTransport</c> configuration section (so the runner can set them
/// with <c>SocketTransport__UnsafePreferInlineScheduling=true</c>-style variables). The sample reads the same keys.
/// </summary>
internal static class SocketTransportSettings
{
    public const string Section = "SocketTransport";

    public static void Apply(IWebHostBuilder webHost, IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        webHost.UseSockets(options =>
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
        });
    }
}
