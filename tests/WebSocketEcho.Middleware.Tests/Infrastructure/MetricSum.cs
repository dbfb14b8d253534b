using System.Diagnostics.Metrics;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>
/// Keeps the running sum of one counter or up-down counter of one app's meters, without storing every measurement
/// (a <c>MetricCollector</c> keeps them all, which under load tests costs more memory than what is measured).
/// </summary>
internal sealed class MetricSum : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _sum;
    private long _measurements;

    /// <param name="meterFactory">The app's meter factory: only its meters are listened to.</param>
    public MetricSum(IMeterFactory meterFactory, string meterName, string instrumentName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == instrumentName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, _, state) =>
        {
            var self = (MetricSum)state!;
            Interlocked.Add(ref self._sum, value);
            Interlocked.Increment(ref self._measurements);
        });
        _listener.SetMeasurementEventCallback<int>(static (_, value, _, state) =>
        {
            var self = (MetricSum)state!;
            Interlocked.Add(ref self._sum, value);
            Interlocked.Increment(ref self._measurements);
        });
        _listener.Start();
    }

    /// <summary>Gets the sum of every measurement since this was created.</summary>
    public long Sum => Interlocked.Read(ref _sum);

    /// <summary>Gets how many measurements were made.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    public void Dispose() => _listener.Dispose();
}
