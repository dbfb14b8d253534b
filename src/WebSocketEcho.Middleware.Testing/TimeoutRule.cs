using System.Globalization;

namespace WebSocketEcho.Middleware.Testing;

/// <summary>What a test client's timeout may be, and how it reads in a failure message.</summary>
internal static class TimeoutRule
{
    public static TimeSpan Validate(TimeSpan value, string parameterName = "value")
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(parameterName, value, "A timeout must be positive, or Timeout.InfiniteTimeSpan.");
        }

        return value;
    }

    /// <summary>Formats a duration for a person: "5 s", "1.5 s", "200 ms".</summary>
    public static string Format(TimeSpan value) =>
        value == Timeout.InfiniteTimeSpan ? "an infinite time"
        : value < TimeSpan.FromSeconds(1) ? value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms"
        : value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
