using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Origin;

/// <summary>
/// One Kestrel server (IPv4 and IPv6 loopback) for the whole origin matrix, with an endpoint per origin policy:
/// <c>/default</c> (same-origin only), <c>/listed</c> (two listed origins, one an IDN), <c>/null</c> (the opaque
/// origin "null" allowed) and <c>/any</c> (<c>"*"</c>).
/// </summary>
public sealed class OriginMatrixServer : IAsyncLifetime
{
    private TestApp? _app;

    internal TestApp App => _app ?? throw new InvalidOperationException("Not started.");

    public int Port => App.Port;

    public int Ipv6Port { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var handler = new EchoMessageHandler();
        _app = await TestApp.StartKestrelAsync(
            app =>
            {
                app.UseWebSocketHandler("/default", handler);
                app.UseWebSocketHandler("/listed", handler, o =>
                {
                    o.AllowedOrigins.Add("https://app.example.com");
                    o.AllowedOrigins.Add("http://bücher.example:8080");
                });
                app.UseWebSocketHandler("/null", handler, o => o.AllowedOrigins.Add("null"));
                app.UseWebSocketHandler("/any", handler, o => o.AllowedOrigins.Add("*"));
            },
            configureKestrel: kestrel => kestrel.Listen(IPAddress.IPv6Loopback, 0));
        var addresses = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        Ipv6Port = new Uri(addresses.Single(a => a.Contains("[::1]", StringComparison.Ordinal))).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
