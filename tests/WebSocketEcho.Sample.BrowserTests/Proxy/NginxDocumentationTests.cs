using System.Text.RegularExpressions;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests.Proxy;

/// <summary>
/// docs/deploying.md shows the nginx configuration the proxy tests run. This keeps the two the same, directive by
/// directive (comments and spacing aside), for the values the page uses: upstream http://127.0.0.1:1234, 60 s.
/// </summary>
public sealed partial class NginxDocumentationTests
{
    private static readonly string s_page = Path.GetFullPath(Path.Combine(SampleLocation.ContentRoot, "..", "..", "docs", "deploying.md"));

    [Fact]
    public void The_nginx_block_in_docs_deploying_md_has_the_map_and_location_the_tests_run()
    {
        var documented = Directives(NginxBlock());
        var tested = new NginxSite(new Uri("http://127.0.0.1:1234/"));

        AssertContainsInOrder(documented, Directives(NginxSite.UpgradeMap), "map");
        AssertContainsInOrder(documented, Directives(tested.Location()), "location");
    }

    private static string NginxBlock()
    {
        var match = NginxFence().Match(File.ReadAllText(s_page));
        Assert.True(match.Success, $"{s_page} has no ```nginx block.");
        return match.Groups["body"].Value;
    }

    /// <summary>The block's directives, one a line, without comments, blank lines or repeated spaces.</summary>
    private static List<string> Directives(string block) =>
        [.. block.Split('\n')
            .Select(line => Spaces().Replace(line.Split('#')[0], " ").Trim())
            .Where(line => line.Length > 0)];

    private static void AssertContainsInOrder(List<string> documented, List<string> tested, string what)
    {
        var start = documented.IndexOf(tested[0]);
        var found = start >= 0 && start + tested.Count <= documented.Count && documented.GetRange(start, tested.Count).SequenceEqual(tested);
        Assert.True(found, $"docs/deploying.md's {what} block differs from the one the tests run. Tested:{Environment.NewLine}{string.Join(Environment.NewLine, tested)}{Environment.NewLine}Documented:{Environment.NewLine}{string.Join(Environment.NewLine, documented)}");
    }

    [GeneratedRegex("```nginx\\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex NginxFence();

    [GeneratedRegex("\\s+")]
    private static partial Regex Spaces();
}
