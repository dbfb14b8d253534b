using System.Xml.Linq;

namespace WebSocketEcho.Middleware.Tests.Docs;

/// <summary>
/// The repository's documentation as it is: every relative link in README.md and docs/**/*.md resolves, the README
/// stays a front page, docs/README.md lists every page, and the package README links only to pages that exist.
/// </summary>
public sealed class DocumentationLinksTests
{
    private static readonly DocumentationSet s_docs = new(RepositoryRoot.Path);

    [Fact]
    public void Every_relative_link_in_README_md_and_docs_lands_on_an_existing_file_and_every_anchor_on_a_heading()
    {
        Assert.Contains("README.md", s_docs.Pages);
        Assert.Contains("docs/README.md", s_docs.Pages);
        Assert.NotEmpty(s_docs.Page("README.md").Links);

        var broken = s_docs.FindBrokenLinks();

        Assert.True(broken.Count == 0, $"{broken.Count} broken link(s):\n{string.Join('\n', broken)}");
    }

    [Fact]
    public void README_md_stays_a_front_page_under_200_lines()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md")).Length;

        Assert.True(lines < 200, $"README.md has {lines} lines; move the detail into a docs/ page and link to it.");
    }

    [Fact]
    public void Every_page_in_docs_is_listed_in_docs_README_md()
    {
        var listed = s_docs.Page("docs/README.md").Links
            .Select(link => s_docs.TargetPath("docs/README.md", link.Target))
            .ToHashSet(StringComparer.Ordinal);

        var missing = s_docs.Pages.Where(page => page.StartsWith("docs/", StringComparison.Ordinal) && page != "docs/README.md" && !listed.Contains(page)).ToList();

        Assert.True(missing.Count == 0, $"docs/README.md does not list: {string.Join(", ", missing)}");
    }

    [Fact]
    public void README_md_shows_the_sample_command_and_the_test_command_that_ci_runs()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md")).ReplaceLineEndings("\n");
        var ci = File.ReadAllText(Path.Combine(RepositoryRoot.Path, ".ci", "run")).ReplaceLineEndings("\n");

        Assert.Contains("```sh\ndotnet run --project samples/WebSocketEcho.Sample\n```", readme, StringComparison.Ordinal);
        Assert.Contains("```sh\ndotnet test WebSocketEcho.Middleware.sln\n```", readme, StringComparison.Ordinal);
        Assert.Contains("\ndotnet test WebSocketEcho.Middleware.sln\n", ci, StringComparison.Ordinal);
    }

    [Fact]
    public void PACKAGE_md_links_only_with_absolute_URLs_and_those_into_the_repository_land_on_existing_pages_and_headings()
    {
        // nuget.org shows PACKAGE.md (packed as README.md) away from the repository, where a relative link cannot work.
        var projectUrl = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props"))
            .Descendants("PackageProjectUrl").Single().Value.TrimEnd('/');
        var blob = $"{projectUrl}/blob/main/";
        var links = MarkdownFile.Read(Path.Combine(RepositoryRoot.Path, "src", "WebSocketEcho.Middleware", "PACKAGE.md")).Links;

        var relative = links.Where(link => !link.Target.StartsWith("https://", StringComparison.Ordinal)).Select(link => $"{link.Line}: {link.Text}");
        Assert.True(!relative.Any(), $"PACKAGE.md has links that are not absolute https URLs:\n{string.Join('\n', relative)}");

        var intoRepository = links.Where(link => link.Target.StartsWith(blob, StringComparison.Ordinal)).ToList();
        Assert.Contains(intoRepository, link => link.Target == $"{blob}docs/README.md");

        var broken = intoRepository
            .Select(link => (link, reason: s_docs.Resolve("README.md", link.Target[blob.Length..])))
            .Where(x => x.reason is not null)
            .Select(x => $"PACKAGE.md:{x.link.Line}: {x.link.Text}: {x.reason}")
            .ToList();
        Assert.True(broken.Count == 0, $"{broken.Count} broken link(s):\n{string.Join('\n', broken)}");
    }
}
