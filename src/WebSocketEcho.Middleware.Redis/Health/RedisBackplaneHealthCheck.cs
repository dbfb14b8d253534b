using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Unhealthy (or the registration's failure status) while the backplane cannot reach Redis, saying since when and why;
/// Healthy while it is connected. The data carry the counts an operator needs: what waits, what was dropped, failures.
/// </summary>
internal sealed class RedisBackplaneHealthCheck : IHealthCheck
{
    private readonly RedisBackplane _backplane;
    private readonly TimeProvider _time;

    public RedisBackplaneHealthCheck(RedisBackplane backplane, TimeProvider time)
    {
        _backplane = backplane;
        _time = time;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var status = _backplane.GetStatus();
        var data = new Dictionary<string, object>
        {
            ["connected"] = status.Connected,
            ["endpoints"] = status.Endpoints,
            ["since"] = status.Since.ToString("O", CultureInfo.InvariantCulture),
            ["buffered_messages"] = status.BufferedMessages,
            ["buffered_bytes"] = status.BufferedBytes,
            ["published_total"] = status.PublishedTotal,
            ["received_total"] = status.ReceivedTotal,
            ["buffered_total"] = status.BufferedTotal,
            ["dropped_total"] = status.DroppedTotal,
            ["skipped_total"] = status.SkippedTotal,
            ["publish_failures_total"] = status.PublishFailuresTotal,
            ["reconnects_total"] = status.ReconnectsTotal,
        };
        if (status.InstanceId is { } instanceId)
        {
            data["instance_id"] = instanceId;
        }

        if (status.Connected)
        {
            return Task.FromResult(HealthCheckResult.Healthy(
                Invariant($"Redis backplane connected to {status.Endpoints} since {status.Since:O}; {status.BufferedMessages} message(s) waiting to be published, {status.DroppedTotal} dropped since start."),
                data));
        }

        var downFor = _time.GetUtcNow() - status.Since;
        var description = Invariant(
            $"Redis backplane cannot reach Redis at {status.Endpoints} since {status.Since:O} ({downFor.TotalSeconds:0} s): {status.Problem}. ") +
            Invariant($"WebSocket connections stay open and local delivery goes on; messages for other instances wait in the buffer ({status.BufferedMessages} now), {status.DroppedTotal} dropped since start.");
        return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, description, exception: null, data));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
