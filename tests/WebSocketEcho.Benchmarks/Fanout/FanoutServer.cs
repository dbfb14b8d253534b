using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware;
using WebSocketEcho.Sample;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The fan-out server (<c>fanout-server --kind middleware|signalr</c>), started by the fan-out runner as its own
/// process (<c>--fault X</c>: the runner's self-test, see <see cref="FanoutFault"/>; <c>--redis CONFIG</c>: the kind's
/// Redis backplane, <c>AddRedisBackplane</c> or SignalR's <c>AddStackExchangeRedis</c>): the same slim host for both kinds, a WebSocket endpoint at <c>/fanout</c> (the middleware's handler or a
/// SignalR hub), <c>POST /publish</c> for the runner to start the publisher, and <c>GET /ready</c>. The settings are
/// in <see cref="FanoutSettings"/>.
/// </summary>
internal static class FanoutServer
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kindAt = Array.IndexOf(args, "--kind");
        if (kindAt < 0 || kindAt + 1 >= args.Length || !Enum.TryParse<FanoutServerKind>(args[kindAt + 1], ignoreCase: true, out var kind))
        {
            Console.Error.WriteLine("fanout-server needs --kind middleware or --kind signalr.");
            return 2;
        }

        var hostArgs = args[..kindAt].Concat(args[(kindAt + 2)..]).ToList();
        var fault = FanoutFault.None;
        var faultAt = hostArgs.IndexOf("--fault");
        if (faultAt >= 0)
        {
            fault = faultAt + 1 < hostArgs.Count && Enum.TryParse(hostArgs[faultAt + 1], ignoreCase: true, out fault) ? fault : throw new ArgumentException("--fault needs garble, lose, duplicate or reorder.");
            hostArgs.RemoveRange(faultAt, 2);
        }

        string? redis = null;
        var redisAt = hostArgs.IndexOf("--redis");
        if (redisAt >= 0)
        {
            redis = redisAt + 1 < hostArgs.Count ? hostArgs[redisAt + 1] : throw new ArgumentException("--redis needs a StackExchange.Redis configuration.");
            hostArgs.RemoveRange(redisAt, 2);
        }

        var builder = WebApplication.CreateSlimBuilder([.. hostArgs]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        var socketTransport = builder.Configuration.GetSection(SocketTransportConfiguration.SectionName);
        InlineSocketCompletions.Apply(socketTransport);
        builder.WebHost.UseSockets(options => SocketTransportConfiguration.Apply(options, socketTransport));

        if (kind == FanoutServerKind.Middleware)
        {
            builder.Services.AddWebSocketHandler<FanoutHandler>(options => options.MaxConnections = FanoutSettings.MaxConnections);
            builder.Services.AddSingleton<IFanoutPublisher, MiddlewarePublisher>();
            if (redis is not null)
            {
                builder.Services.AddRedisBackplane(redis);
            }
        }
        else
        {
            var signalR = builder.Services.AddSignalR(options =>
            {
                options.KeepAliveInterval = FanoutSettings.KeepAliveInterval;
                options.ClientTimeoutInterval = FanoutSettings.ClientTimeout;
                options.EnableDetailedErrors = false;
            });
            if (redis is not null)
            {
                signalR.AddStackExchangeRedis(redis);
            }
            builder.Services.AddSingleton<IFanoutPublisher, SignalRPublisher>();
        }

        var app = builder.Build();
        if (kind == FanoutServerKind.Middleware)
        {
            app.UseWebSocketHandler<FanoutHandler>(FanoutSettings.Path);
        }
        else
        {
            app.MapHub<FanoutHub>(FanoutSettings.Path, options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.ApplicationMaxBufferSize = FanoutSettings.MaxPendingBytes;
                options.TransportSendTimeout = FanoutSettings.SendTimeout;
                options.WebSockets.CloseTimeout = FanoutSettings.CloseTimeout;
            });
        }

        var publisher = app.Services.GetRequiredService<IFanoutPublisher>();
        app.MapPost("/publish", (HttpContext context) => PublishEndpoint.HandleAsync(context, publisher, fault));
        app.MapGet("/ready", () => "ready");

        app.Lifetime.ApplicationStarted.Register(() =>
            Console.WriteLine($"fanout-server ({kind}{(redis is null ? string.Empty : ", Redis backplane")}) ready{(fault == FanoutFault.None ? string.Empty : $" (injecting fault: {fault})")}: gc={(GCSettings.IsServerGC ? "server" : "workstation")} processors={Environment.ProcessorCount}"));
        await app.RunAsync();
        return 0;
    }
}
