using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace WebSocketEcho.Sample;

/// <summary>
/// Exports the middleware's traces (source <c>WebSocketEcho.Middleware</c>, with ASP.NET Core's request activities
/// for the upgrade requests they link to) and metrics (meter <c>WebSocketEcho.Middleware</c>) with OpenTelemetry.
/// Off unless configured: <c>OpenTelemetry:Exporter</c> = <c>console</c> (standard output) or <c>otlp</c> (an OTLP
/// collector: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> and the other standard variables
/// apply). See docs/tracing.md.
/// </summary>
internal static class SampleTelemetry
{
    public const string ExporterKey = "OpenTelemetry:Exporter";
    public const string ServiceName = "WebSocketEcho.Sample";

    private const string MiddlewareSource = "WebSocketEcho.Middleware";
    private const string AspNetCoreSource = "Microsoft.AspNetCore";

    /// <summary>Adds OpenTelemetry export when <see cref="ExporterKey"/> asks for it; an unknown exporter stops the startup.</summary>
    public static WebApplicationBuilder AddSampleTelemetry(this WebApplicationBuilder builder)
    {
        var exporter = builder.Configuration[ExporterKey]?.Trim();
        if (string.IsNullOrEmpty(exporter) || exporter.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return builder;
        }

        var console = exporter.Equals("console", StringComparison.OrdinalIgnoreCase);
        if (!console && !exporter.Equals("otlp", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"{ExporterKey} is '{exporter}'; it must be 'console', 'otlp', or empty (or 'none') to export nothing.");
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(MiddlewareSource, AspNetCoreSource);
                if (console)
                {
                    tracing.AddConsoleExporter();
                }
                else
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MiddlewareSource);
                if (console)
                {
                    metrics.AddConsoleExporter();
                }
                else
                {
                    metrics.AddOtlpExporter();
                }
            });
        return builder;
    }
}
