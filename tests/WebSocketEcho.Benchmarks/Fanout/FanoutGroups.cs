using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The five groups connection number <c>i</c> joins, a mix of sizes: one of 10 large groups (<c>a{i % 10}</c>), one of
/// 100 (<c>b</c>), one of 1,000 (<c>c</c>), a group of ten neighbours (<c>d{i / 10}</c>) and a group of its own
/// (<c>u{i}</c>, like a per-user group). With 10,000 connections that is 50,000 memberships in 12,110 groups.
/// </summary>
internal static class FanoutGroups
{
    /// <summary>The groups a connection joins.</summary>
    public const int PerConnection = 5;

    /// <summary>The large groups: every connection is in exactly one of them.</summary>
    public static IEnumerable<string> Partition => Enumerable.Range(0, 10).Select(i => string.Create(CultureInfo.InvariantCulture, $"a{i}"));

    /// <summary>The query string that asks the server to put connection <paramref name="index"/> in its groups.</summary>
    public static string QueryFor(int index) =>
        string.Create(CultureInfo.InvariantCulture, $"?groups=a{index % 10},b{index % 100},c{index % 1000},d{index / 10},u{index}");

    /// <summary>The groups a connection's URL names.</summary>
    public static string[] FromQuery(IQueryCollection query) =>
        query["groups"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
