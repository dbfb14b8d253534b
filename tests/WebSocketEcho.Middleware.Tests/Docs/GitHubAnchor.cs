using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace WebSocketEcho.Middleware.Tests.Docs;

/// <summary>
/// The anchor GitHub gives a Markdown heading (its github-slugger rules): the heading's text lowercased, every
/// character that is not a letter, digit, mark, '-', '_' or space dropped, each space turned into '-'.
/// </summary>
internal static partial class GitHubAnchor
{
    public static string For(string headingText)
    {
        // GitHub slugs the rendered text: a link shows its text, code spans and emphasis lose their markers (dropped below).
        var text = LinkOrImage().Replace(headingText, "${text}");
        var slug = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            if (c == ' ')
            {
                slug.Append('-');
            }
            else if (c is '-' or '_' || char.IsLetterOrDigit(c) || IsMark(c))
            {
                slug.Append(c);
            }
        }

        return slug.ToString();
    }

    private static bool IsMark(char c) => CharUnicodeInfo.GetUnicodeCategory(c)
        is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\([^)]*\)")]
    private static partial Regex LinkOrImage();
}
