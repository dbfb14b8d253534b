using System.Diagnostics.Metrics;

namespace WebSocketEcho.Sample;

/// <summary>
/// Adds up the middleware's counters (meter <c>WebSocketEcho.Middleware</c>) with a <see cref="MeterListener"/>, so
/// <c>/stats</c> and the test page can show them without dotnet-counters or an exporter. Only the meter this app's
/// <see cref="IMeterFactory"/> created is counted, so other hosts in the same process do not leak in.
/// </summary>
internal sealed class EchoStatsListener : IDisposable
{
    private const string MeterName = "WebSocketEcho.Middleware";

    private readonly IMeterFactory _meterFactory;
    private readonly MeterListener _listener = new();
    private readonly long[] _totals = new long[Enum.GetValues<Stat>().Length];

    /// <summary>Starts listening; create it before the first connection so that no measurement is missed.</summary>
    /// <param name="meterFactory">The app's meter factory, which creates the middleware's meter.</param>
    public EchoStatsListener(IMeterFactory meterFactory)
    {
        _meterFactory = meterFactory;
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    private enum Stat
    {
        ActiveConnections,
        TotalConnections,
        ReceivedMessages,
        ReceivedBytes,
        SentMessages,
        SentBytes,
        RejectedUpgrades,
        HandlerErrors,
    }

    /// <summary>Gets the counters as they are now.</summary>
    public EchoStats Snapshot() => new(
        Read(Stat.ActiveConnections),
        Read(Stat.TotalConnections),
        Read(Stat.ReceivedMessages),
        Read(Stat.ReceivedBytes),
        Read(Stat.SentMessages),
        Read(Stat.SentBytes),
        Read(Stat.RejectedUpgrades),
        Read(Stat.HandlerErrors));

    public void Dispose() => _listener.Dispose();

    private static Stat? StatFor(string instrumentName) => instrumentName switch
    {
        "websocket.server.active_connections" => Stat.ActiveConnections,
        "websocket.server.received.messages" => Stat.ReceivedMessages,
        "websocket.server.received.bytes" => Stat.ReceivedBytes,
        "websocket.server.sent.messages" => Stat.SentMessages,
        "websocket.server.sent.bytes" => Stat.SentBytes,
        "websocket.server.rejected_upgrades" => Stat.RejectedUpgrades,
        "websocket.server.handler_errors" => Stat.HandlerErrors,
        _ => null,
    };

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (instrument.Meter.Name == MeterName
            && ReferenceEquals(instrument.Meter.Scope, _meterFactory)
            && StatFor(instrument.Name) is { } stat)
        {
            listener.EnableMeasurementEvents(instrument, stat);
        }
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var stat = (Stat)state!;
        Interlocked.Add(ref _totals[(int)stat], value);
        if (stat == Stat.ActiveConnections && value > 0)
        {
            Interlocked.Add(ref _totals[(int)Stat.TotalConnections], value);
        }
    }

    private long Read(Stat stat) => Interlocked.Read(ref _totals[(int)stat]);
}
