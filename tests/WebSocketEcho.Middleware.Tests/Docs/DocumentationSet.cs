using System.Text.RegularExpressions;

namespace WebSocketEcho.Middleware.Tests.Docs;

/// <summary>
/// The repository's Markdown documentation, README.md and docs/**/*.md, and the check that every relative link in it
/// lands on a file or folder of the repository and, with a #fragment, on a heading of the Markdown file it names.
/// </summary>
internal sealed partial class DocumentationSet
{
    private readonly Dictionary<string, MarkdownFile> _files = new(StringComparer.Ordinal);

    public DocumentationSet(string root)
    {
        Root = Path.GetFullPath(root);
        var docs = Path.Combine(Root, "docs");
        Pages =
        [
            "README.md",
            .. Directory.Exists(docs)
                ? Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Select(Relative).Order(StringComparer.Ordinal)
                : Enumerable.Empty<string>(),
        ];
    }

    public string Root { get; }

    /// <summary>Gets the pages checked, relative to the root with '/' separators: README.md first, then docs/**/*.md.</summary>
    public IReadOnlyList<string> Pages { get; }

    public MarkdownFile Page(string relativePath) => Load(Path.Combine(Root, relativePath));

    /// <summary>Every relative link of every page that does not resolve, as "page:line: [text](target): reason".</summary>
    public IReadOnlyList<string> FindBrokenLinks() =>
    [
        .. from page in Pages
           from link in Page(page).Links
           let reason = Resolve(page, link.Target)
           where reason is not null
           select $"{page}:{link.Line}: {link.Text}: {reason}",
    ];

    /// <summary>
    /// The repository-relative path (with '/') of the file or folder a link written in <paramref name="fromPage"/> points to,
    /// without its fragment; null for an absolute URL (http(s), mailto...).
    /// </summary>
    public string? TargetPath(string fromPage, string target)
    {
        var full = TargetFullPath(fromPage, target);
        return full is null ? null : Relative(full);
    }

    /// <summary>Why <paramref name="target"/>, written in <paramref name="fromPage"/>, does not resolve; null when it does or is not relative.</summary>
    public string? Resolve(string fromPage, string target)
    {
        var file = TargetFullPath(fromPage, target);
        if (file is null)
        {
            return null;
        }

        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var fragment = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);

        if (file != Root && !file.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return "points outside the repository";
        }

        if (!File.Exists(file) && !Directory.Exists(file))
        {
            return $"no file or folder {Relative(file)}";
        }

        if (fragment is null || !file.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
        {
            return null;   // a fragment on a non-Markdown file (a line number in code, say) is not a heading
        }

        if (fragment.Length == 0)
        {
            return "empty #fragment";
        }

        return Load(file).Anchors.Contains(fragment) ? null : $"{Relative(file)} has no heading with the anchor #{fragment}";
    }

    private string? TargetFullPath(string fromPage, string target)
    {
        if (UriScheme().IsMatch(target) || target.StartsWith("//", StringComparison.Ordinal))
        {
            return null;
        }

        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var pathPart = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
        var from = Path.Combine(Root, fromPage);
        return pathPart.Length == 0
            ? Path.GetFullPath(from)
            : Path.GetFullPath(pathPart.StartsWith('/')
                ? Path.Combine(Root, pathPart.TrimStart('/'))
                : Path.Combine(Path.GetDirectoryName(from)!, pathPart));
    }

    private MarkdownFile Load(string fullPath)
    {
        if (!_files.TryGetValue(fullPath, out var file))
        {
            file = MarkdownFile.Read(fullPath);
            _files[fullPath] = file;
        }

        return file;
    }

    private string Relative(string fullPath) => Path.GetRelativePath(Root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*:")]
    private static partial Regex UriScheme();
}
