using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace WebSocketEcho.Sample;

/// <summary>
/// Behind a TLS-terminating proxy (docs/deploying.md, "Deploying behind a proxy"): the proxy's <c>X-Forwarded-Proto</c>
/// makes the request's scheme the page's <c>https</c> again, so the same-origin check compares like with like, and
/// <c>X-Forwarded-For</c> gives the real client address. The proxy passes the <c>Host</c> header through unchanged.
/// </summary>
/// <remarks>
/// Forwarded headers are believed only from a known proxy: loopback (ASP.NET Core's default), plus the addresses in
/// <c>ForwardedHeaders:KnownProxies</c> and the networks (CIDR) in <c>ForwardedHeaders:KnownNetworks</c>. Anyone else
/// could send the same headers and claim to be a proxy, so they are ignored from every other peer.
/// </remarks>
internal static class SampleForwardedHeaders
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Builds the options from the <c>ForwardedHeaders</c> section; a value that is not an address throws, naming the key.</summary>
    public static ForwardedHeadersOptions Options(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        foreach (var entry in section.GetSection("KnownProxies").GetChildren())
        {
            options.KnownProxies.Add(IPAddress.TryParse(entry.Value, out var address) ? address
                : throw new InvalidOperationException($"{entry.Path} must be an IP address such as 10.0.0.5; it was \"{entry.Value}\"."));
        }

        foreach (var entry in section.GetSection("KnownNetworks").GetChildren())
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(entry.Value, out var network) ? network
                : throw new InvalidOperationException($"{entry.Path} must be a network in CIDR notation such as 10.0.0.0/8; it was \"{entry.Value}\"."));
        }

        return options;
    }
}
