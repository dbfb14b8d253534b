using System.Diagnostics;
using System.Numerics;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>
/// A thread-safe log-linear histogram of round-trip times (32 buckets per power of two, so about 3% resolution),
/// recorded without allocation; percentiles are read from the bucket counts.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 32;
    private const int MaxShift = 40;
    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly long[] _counts = new long[(MaxShift + 2) * SubBuckets];

    public long Count
    {
        get
        {
            long total = 0;
            foreach (var c in _counts)
            {
                total += c;
            }

            return total;
        }
    }

    public void RecordTicks(long ticks)
    {
        var ns = (long)(ticks * s_nanosecondsPerTick);
        Interlocked.Increment(ref _counts[Index(Math.Max(ns, 0))]);
    }

    /// <summary>Gets the value (in microseconds) below which <paramref name="percentile"/> percent of the samples lie.</summary>
    public double PercentileMicroseconds(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return UpperBound(i) / 1000.0;
            }
        }

        return UpperBound(_counts.Length - 1) / 1000.0;
    }

    private static int Index(long ns)
    {
        var shift = Math.Max(0, BitOperations.Log2((ulong)ns | 1) - 5);
        shift = Math.Min(shift, MaxShift);
        return (shift * SubBuckets) + (int)Math.Min(ns >> shift, (2 * SubBuckets) - 1);
    }

    private static long UpperBound(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return index + 1;
        }

        var shift = (index / SubBuckets) - 1;
        var mantissa = index - (shift * SubBuckets);
        return (long)(mantissa + 1) << shift;
    }
}
