using System.Text.RegularExpressions;

namespace WebSocketEcho.Middleware.Tests.Docs;

/// <summary>A link in a Markdown file: its target as written, its text, and the line it starts on.</summary>
internal sealed record MarkdownLink(string Target, string Text, int Line);

/// <summary>
/// What a Markdown file offers and points to: the anchors of its headings (and of <c>&lt;a id&gt;</c> / <c>&lt;a name&gt;</c>
/// tags), and its inline links, images and link reference definitions. Fenced code blocks and code spans are skipped.
/// </summary>
internal sealed partial class MarkdownFile
{
    private MarkdownFile(HashSet<string> anchors, IReadOnlyList<MarkdownLink> links)
    {
        Anchors = anchors;
        Links = links;
    }

    /// <summary>Gets the fragments that land on this file's headings, as GitHub spells them (duplicates get -1, -2...).</summary>
    public IReadOnlySet<string> Anchors { get; }

    /// <summary>Gets every link in the file, in order.</summary>
    public IReadOnlyList<MarkdownLink> Links { get; }

    public static MarkdownFile Read(string path) => Parse(File.ReadAllText(path));

    public static MarkdownFile Parse(string markdown)
    {
        var text = BlankFencedCodeBlocks(markdown.ReplaceLineEndings("\n"));

        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(text))
        {
            var slug = GitHubAnchor.For(heading.Groups["text"].Value);
            var count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }

        foreach (Match tag in HtmlAnchor().Matches(text))
        {
            anchors.Add(tag.Groups["id"].Value);
        }

        // Code spans are blanked with spaces of the same length, so match positions (and line numbers) stay true.
        var masked = CodeSpan().Replace(text, span => new string(' ', span.Length));
        var links = new List<MarkdownLink>();
        foreach (var match in InlineLink().Matches(masked).Concat(ReferenceDefinition().Matches(masked)))
        {
            var target = match.Groups["target"].Value;
            if (target.StartsWith('<') && target.EndsWith('>'))
            {
                target = target[1..^1];
            }

            var line = 1 + masked.AsSpan(0, match.Index).Count('\n');
            links.Add(new MarkdownLink(target, text.Substring(match.Index, match.Length).ReplaceLineEndings(" "), line));
        }

        return new MarkdownFile(anchors, [.. links.OrderBy(link => link.Line)]);
    }

    /// <summary>Replaces every line of a fenced code block (``` or ~~~, indented or not) by an empty line.</summary>
    private static string BlankFencedCodeBlocks(string text)
    {
        var lines = text.Split('\n');
        string? fence = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (fence is null)
            {
                var opening = Fence().Match(trimmed);
                if (opening.Success)
                {
                    fence = opening.Value;
                    lines[i] = string.Empty;
                }
            }
            else
            {
                if (trimmed.StartsWith(fence, StringComparison.Ordinal) && trimmed.TrimEnd().Trim(fence[0]).Length == 0)
                {
                    fence = null;
                }

                lines[i] = string.Empty;
            }
        }

        return string.Join('\n', lines);
    }

    [GeneratedRegex(@"^(`{3,}|~{3,})")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^ {0,3}#{1,6}[ \t]+(?<text>.*?)(?:[ \t]+#+)?[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"<a\s[^>]*?\b(?:id|name)\s*=\s*""(?<id>[^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlAnchor();

    // A run of backticks, then anything up to the same run, not across a blank line.
    [GeneratedRegex(@"(?<!`)(?<ticks>`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])+?(?<!`)\k<ticks>(?!`)")]
    private static partial Regex CodeSpan();

    // [text](target) or ![alt](target), the target bare or in <>, with an optional "title"; the text may hold [brackets].
    [GeneratedRegex(@"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(?<target><[^>\n]*>|[^)\s]*)(?:\s+(?:""[^""]*""|'[^']*'))?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^ {0,3}\[[^\]]+\]:[ \t]*(?<target><[^>\n]*>|\S+)", RegexOptions.Multiline)]
    private static partial Regex ReferenceDefinition();
}
