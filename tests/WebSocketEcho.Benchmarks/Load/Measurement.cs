namespace WebSocketEcho.Benchmarks.Load;

/// <summary>What one scenario measured on one server in one round: named values, and the errors it saw.</summary>
internal sealed class Measurement
{
    public Measurement(string scenario) => Scenario = scenario;

    public string Scenario { get; }

    public Dictionary<string, double> Values { get; } = [];

    public long Errors { get; set; }

    public string? ErrorDetail { get; set; }

    public void Add(string metric, double value) => Values[metric] = value;
}
