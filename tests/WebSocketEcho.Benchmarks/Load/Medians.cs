namespace WebSocketEcho.Benchmarks.Load;

/// <summary>The median the reports show for a measurement over its rounds.</summary>
internal static class Medians
{
    /// <summary>Gets the median of <paramref name="values"/> (sorted in place), or null when there are none.</summary>
    public static double? Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
