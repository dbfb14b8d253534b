using System.Net.WebSockets;
using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Sample;

namespace WebSocketEcho.Benchmarks.Baseline;

/// <summary>
/// The baseline server (<c>baseline-server</c> mode): the same slim host as the sample, <c>app.UseWebSockets()</c>
/// and the documentation's loop at <c>/echo</c>. Started by the load runner as its own process. With
/// <paramref name="lean"/> (<c>lean-server</c> mode) it runs <see cref="Micro.LeanEchoLoop"/> instead: the floor any
/// loop on the platform can reach, to calibrate what the middleware's ratio could be. With <paramref name="garble"/>
/// (<c>garble-server</c> mode) it runs <see cref="SelfTest.GarblingEchoLoop"/>: wrong replies, for the runner's self-test.
/// </summary>
internal static class DocsEchoServer
{
    public static async Task<int> RunAsync(string[] args, bool lean = false, bool direct = false, bool garble = false)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        // The sample's logging configuration (appsettings.json), so both hosts keep the same per-request state.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // The docs loop as the docs write it: the runtime's default socket scheduling, unless the runner asks for the
        // sample's setting (SocketTransport__InlineSocketCompletions=true) to compare like with like.
        var socketTransport = builder.Configuration.GetSection(SocketTransportConfiguration.SectionName);
        InlineSocketCompletions.Apply(socketTransport);
        builder.WebHost.UseSockets(options => SocketTransportConfiguration.Apply(options, socketTransport));

        var app = builder.Build();
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            if (context.Request.Path != "/echo")
            {
                await next(context);
                return;
            }

            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var webSocket = await context.WebSockets.AcceptWebSocketAsync();
            try
            {
                await (garble ? SelfTest.GarblingEchoLoop.EchoAsync(webSocket, CancellationToken.None)
                    : lean ? Micro.LeanEchoLoop.EchoAsync(webSocket, CancellationToken.None, zeroByteWait: !direct)
                    : DocsEchoLoop.EchoAsync(webSocket, CancellationToken.None));
            }
            catch (WebSocketException)
            {
                // The client went away without a close handshake (the load runner tears connections down abruptly).
            }
        });

        app.Lifetime.ApplicationStarted.Register(() =>
            Console.WriteLine($"{(garble ? "garble" : lean ? "lean" : "baseline")}-server ready: gc={(GCSettings.IsServerGC ? "server" : "workstation")} " +
                $"latency={GCSettings.LatencyMode} processors={Environment.ProcessorCount}"));
        await app.RunAsync();
        return 0;
    }
}
