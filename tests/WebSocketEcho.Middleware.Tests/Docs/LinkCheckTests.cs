namespace WebSocketEcho.Middleware.Tests.Docs;

/// <summary>The link check itself, on headings and pages written here: what GitHub's anchors are, and that each kind of broken link is named.</summary>
public sealed class LinkCheckTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wse-docs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("Options", "options")]
    [InlineData("Limits and bad input", "limits-and-bad-input")]
    [InlineData("`UseWebSocketHandler` or `MapWebSocketHandler`", "usewebsockethandler-or-mapwebsockethandler")]
    [InlineData("The sample's /stats", "the-samples-stats")]
    [InlineData("From the Go chapter to ASP.NET Core", "from-the-go-chapter-to-aspnet-core")]
    [InlineData("Last full run, as shipped", "last-full-run-as-shipped")]
    [InlineData("400 / 426 on connect", "400--426-on-connect")]
    [InlineData("Native AOT, trimming and packaging", "native-aot-trimming-and-packaging")]
    [InlineData("snake_case and kebab-case", "snake_case-and-kebab-case")]
    [InlineData("Round trip (µs)", "round-trip-µs")]
    [InlineData("See [Security](security.md) first", "see-security-first")]
    public void A_heading_gets_GitHubs_anchor(string heading, string anchor) => Assert.Equal(anchor, GitHubAnchor.For(heading));

    [Fact]
    public void Repeated_headings_get_numbered_anchors_and_headings_in_code_blocks_get_none()
    {
        var file = MarkdownFile.Parse("""
            # Title
            ## Usage
            ```sh
            # Usage in a shell comment
            ```
            ### Usage
            ## Usage ##
            <a id="custom-anchor"></a>
            """);

        Assert.Equal(["custom-anchor", "title", "usage", "usage-1", "usage-2"], file.Anchors.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Links_are_found_inline_wrapped_over_lines_as_images_and_as_reference_definitions_but_not_in_code()
    {
        var file = MarkdownFile.Parse("""
            See [`AllowedOrigins`](README.md#options) and the
            [chat
            handler](README.md#write-your-own-handler "title"), ![logo](<docs/a b.png>).
            `[not a link](nowhere.md)` and:
            ```md
            [not a link either](nowhere.md)
            ```
            [ref]: docs/reference.md
            """);

        Assert.Equal(
            [("README.md#options", 1), ("README.md#write-your-own-handler", 2), ("docs/a b.png", 3), ("docs/reference.md", 8)],
            file.Links.Select(link => (link.Target, link.Line)));
    }

    [Fact]
    public void Every_kind_of_broken_link_is_named_with_its_page_and_line_and_good_ones_pass()
    {
        Write("README.md", """
            # Project

            ## Use it

            - [Guide](docs/guide.md), [its setup](docs/guide.md#setup), [back up](#use-it), [a folder](docs), [site](https://example.com/x.md#nope)
            - [Missing page](docs/missing.md)
            - [Missing heading](docs/guide.md#no-such-heading)
            """);
        Write("docs/guide.md", """
            # Guide

            ## Setup

            [Home](../README.md#use-it), [root-relative](/README.md), [outside](../../elsewhere.md), [wrong case](../README.md#Use-It)
            """);

        var broken = new DocumentationSet(_root).FindBrokenLinks();

        Assert.Equal(
            [
                "README.md:6: [Missing page](docs/missing.md): no file or folder docs/missing.md",
                "README.md:7: [Missing heading](docs/guide.md#no-such-heading): docs/guide.md has no heading with the anchor #no-such-heading",
                "docs/guide.md:5: [outside](../../elsewhere.md): points outside the repository",
                "docs/guide.md:5: [wrong case](../README.md#Use-It): README.md has no heading with the anchor #Use-It",
            ],
            broken);
    }

    private void Write(string relativePath, string text)
    {
        var path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
