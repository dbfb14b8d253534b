using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Security;

/// <summary>The rate-limiting recipe in docs/security.md: ASP.NET Core's rate limiter in front of the endpoint limits upgrade attempts per client address.</summary>
public sealed class RateLimitingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Upgrade_attempts_over_the_rate_limit_get_429_without_upgrading_while_other_paths_are_not_limited()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseRateLimiter();
                a.UseWebSocketHandler("/echo", handler);
                a.Run(context => context.Response.WriteAsync("page", context.RequestAborted));
            },
            services => services.AddRateLimiter(options =>
            {
                options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
                options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    context.Request.Path.StartsWithSegments("/echo")
                        ? RateLimitPartition.GetFixedWindowLimiter(
                            context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                            _ => new FixedWindowRateLimiterOptions { PermitLimit = 3, Window = TimeSpan.FromMinutes(1) })
                        : RateLimitPartition.GetNoLimiter(string.Empty));
            }));
        var upgrade = RawWebSocketClient.UpgradeRequest($"127.0.0.1:{app.Port}", "/echo");

        var open = new List<RawWebSocketClient>();
        for (var i = 0; i < 3; i++)
        {
            open.Add(await RawWebSocketClient.ConnectRawAsync(app.Port, upgrade, Ct));
            Assert.Equal(101, open[^1].Handshake.StatusCode);
        }

        var limited = await RawWebSocketClient.SendHttpRequestAsync(app.Port, upgrade, Ct);
        Assert.Equal(429, limited.StatusCode);
        Assert.Null(limited.Header("Sec-WebSocket-Accept"));
        var page = await RawWebSocketClient.SendHttpRequestAsync(app.Port, $"GET / HTTP/1.1\r\nHost: 127.0.0.1:{app.Port}\r\nConnection: close\r\n\r\n", Ct);
        Assert.Equal(200, page.StatusCode);

        // The connections that got through still work.
        await open[0].SendTextAsync("still here", Ct);
        Assert.Equal("still here", (await open[0].ReadFrameAsync(cancellationToken: Ct)).TextPayload);
        Assert.Equal(3, handler.ConnectedCount);
        foreach (var client in open)
        {
            await client.DisposeAsync();
        }
    }
}
