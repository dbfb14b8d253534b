using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// <c>POST /publish?first=S&amp;count=K&amp;size=B[&amp;interval=µs][&amp;groups=a0,a1]</c>: publishes messages S to S+K-1 of B
/// bytes, each awaited before the next, as fast as the server can or one every <c>interval</c> microseconds; to every
/// connection, or (with <c>groups</c>) each message to each listed group. Answers with the Stopwatch timestamps of the
/// first publish and of the last publish's completion: <c>"start end"</c>.
/// </summary>
internal static class PublishEndpoint
{
    private static int s_faultInjected;

    public static async Task HandleAsync(HttpContext context, IFanoutPublisher publisher, FanoutFault fault)
    {
        var query = context.Request.Query;
        var first = long.Parse(query["first"].ToString(), CultureInfo.InvariantCulture);
        var count = int.Parse(query["count"].ToString(), CultureInfo.InvariantCulture);
        var size = int.Parse(query["size"].ToString(), CultureInfo.InvariantCulture);
        var interval = query.TryGetValue("interval", out var micros) ? long.Parse(micros.ToString(), CultureInfo.InvariantCulture) * Stopwatch.Frequency / 1_000_000 : 0;
        var groups = FanoutGroups.FromQuery(query);
        var faultAt = fault != FanoutFault.None && count >= 2 && Interlocked.Exchange(ref s_faultInjected, 1) == 0 ? count / 2 : -1;

        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            if (interval > 0)
            {
                await WaitUntilAsync(start + (i * interval), context.RequestAborted);
            }

            var sequence = first + i;
            if (i == faultAt)
            {
                switch (fault)
                {
                    case FanoutFault.Lose:
                        continue;
                    case FanoutFault.Reorder:
                        await PublishAsync(publisher, groups, FanoutPayload.Create(sequence + 1, Stopwatch.GetTimestamp(), size));
                        await PublishAsync(publisher, groups, FanoutPayload.Create(sequence, Stopwatch.GetTimestamp(), size));
                        i++;
                        continue;
                    case FanoutFault.Duplicate:
                        await PublishAsync(publisher, groups, FanoutPayload.Create(sequence, Stopwatch.GetTimestamp(), size));
                        break;
                    case FanoutFault.Garble:
                        await PublishAsync(publisher, groups, FanoutFaults.Garble(FanoutPayload.Create(sequence, Stopwatch.GetTimestamp(), size)));
                        continue;
                }
            }

            await PublishAsync(publisher, groups, FanoutPayload.Create(sequence, Stopwatch.GetTimestamp(), size));
        }

        var end = Stopwatch.GetTimestamp();
        await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{start} {end}"), context.RequestAborted);
    }

    private static async ValueTask PublishAsync(IFanoutPublisher publisher, string[] groups, string text)
    {
        if (groups.Length == 0)
        {
            await publisher.ToAllAsync(text);
            return;
        }

        foreach (var group in groups)
        {
            await publisher.ToGroupAsync(group, text);
        }
    }

    private static async ValueTask WaitUntilAsync(long due, CancellationToken cancellationToken)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }
}
