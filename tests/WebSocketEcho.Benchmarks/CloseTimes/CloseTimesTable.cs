using System.Globalization;
using System.Text;

namespace WebSocketEcho.Benchmarks.CloseTimes;

/// <summary>The close times as a Markdown table: one row per failure and peer, medians and maxima over the repetitions.</summary>
internal static class CloseTimesTable
{
    public static string Format(IEnumerable<(Failure Failure, Peer Peer, IReadOnlyList<CloseSample> Samples)> rows)
    {
        var table = new StringBuilder()
            .AppendLine("| Failure | Peer | Close frame: median / max | TCP end: median / max | TCP ended with |")
            .AppendLine("| --- | --- | ---: | ---: | --- |");
        foreach (var (failure, peer, samples) in rows)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {CloseCases.Describe(failure)} | {CloseCases.Describe(peer)} | ")
                .Append(MedianAndMax(samples.Select(s => s.CloseFrameMs))).Append(" | ")
                .Append(MedianAndMax(samples.Select(s => s.TcpEndMs))).Append(" | ")
                .Append(Ends(samples)).AppendLine(" |");
        }

        return table.ToString();
    }

    private static string MedianAndMax(IEnumerable<double?> values)
    {
        var measured = values.OfType<double>().Order().ToArray();
        if (measured.Length == 0)
        {
            return "-";
        }

        var middle = measured.Length / 2;
        var median = measured.Length % 2 == 1 ? measured[middle] : (measured[middle - 1] + measured[middle]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"{Milliseconds(median)} / {Milliseconds(measured[^1])}");
    }

    private static string Milliseconds(double ms) =>
        ms >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.00} s") : string.Create(CultureInfo.InvariantCulture, $"{ms:0} ms");

    private static string Ends(IReadOnlyList<CloseSample> samples)
    {
        var parts = samples.Where(s => s.End is not null).GroupBy(s => s.End!.Value).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key.ToString().ToUpperInvariant()}"))
            .ToList();
        var failed = samples.Count(s => s.Error is not null);
        if (failed > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"**{failed} failed**"));
        }

        return string.Join(", ", parts);
    }
}
