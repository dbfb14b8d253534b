using System.Text.RegularExpressions;
using System.Xml.Linq;
using WebSocketEcho.Packaging.Tests.Infrastructure;

namespace WebSocketEcho.Packaging.Tests;

/// <summary>
/// The testing package's promise, from the outside: a new xunit project that installs both packages from the local
/// feed with `dotnet add package` builds docs/testing.md's two example tests as they stand, without a warning, and
/// they pass; two deliberately wrong tests fail with the messages a user would read, proving the tests really run.
/// </summary>
[Collection(DotNetCliTests.Name)]
public sealed partial class ConsumerTestProjectTests
{
    private const string TestingTestsFolder = "WebSocketEcho.Middleware.Testing.Tests";

    private readonly PackedPackage _package;

    public ConsumerTestProjectTests(PackedPackage package) => _package = package;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task New_xunit_project_with_both_packages_runs_the_docs_examples_green_and_deliberately_wrong_tests_red_with_their_messages()
    {
        using var temp = new TempFolder("wse-consumer-tests");
        var project = temp.Folder("Consumer.Tests");

        // Packages of this run's version can only come from this run's feed (and land in a cache of their own); the
        // test framework packages the repository already restored are used from the machine's cache, not fetched again.
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = temp.Folder("packages") };
        await ConsumerNuGetConfig.WriteAsync(project, _package.Feed, ConsumerNuGetConfig.MachinePackagesFolder(), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "Consumer.Tests.csproj"), ConsumerProject(), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "ChatHandler.cs"), TestCodeWithoutNamespace("ChatHandler.cs"), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "ShoutHandler.cs"), TestCodeWithoutNamespace("ShoutHandler.cs"), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "ChatTests.cs"), DocsExample("A complete test"), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "ShoutHandlerTests.cs"), DocsExample("A handler alone: the connection double"), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "DeliberatelyWrongTests.cs"), DeliberatelyWrongTests, Ct);

        foreach (var id in new[] { PackedPackage.CoreId, PackedPackage.TestingId })
        {
            await DotNetCli.RunCheckedAsync(
                project, ["add", "package", id, "--version", _package.Version, "--source", _package.Feed], Timeouts.Command, environment, Ct);
            Assert.Contains(
                $"""<PackageReference Include="{id}" Version="{_package.Version}" />""",
                await File.ReadAllTextAsync(Path.Combine(project, "Consumer.Tests.csproj"), Ct),
                StringComparison.Ordinal);
        }

        var build = await DotNetCli.RunCheckedAsync(project, ["build", "-c", "Release", "--no-restore", "--disable-build-servers"], Timeouts.Command, environment, Ct);
        Assert.Empty(build.Warnings);

        var test = await DotNetCli.RunAsync(project, ["test", "-c", "Release", "--no-build"], Timeouts.Command, environment, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"{test.Elapsed.TotalSeconds,6:0.0} s  {test.CommandLine} (exit {test.ExitCode})");

        var summary = Summary().Match(test.Output);
        Assert.True(summary.Success, $"No test summary in the output of `{test.CommandLine}`:\n{test.Output}");
        Assert.Equal(("2", "2"), (summary.Groups["failed"].Value, summary.Groups["passed"].Value));
        Assert.NotEqual(0, test.ExitCode);
        Assert.DoesNotMatch(@"Failed (ChatTests|ShoutHandlerTests)\.", test.Output);

        // The wrong expectation shows the reply the handler really sent; the unanswered receive shows the timeout message.
        Assert.Contains("\"hi\"", WrongExpectationReport().Match(test.Output).Value, StringComparison.Ordinal);
        Assert.Contains("No message within 200 ms on /chat; last state Open.", test.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Docs_testing_md_has_both_examples_this_test_builds()
    {
        Assert.Contains("public async Task What_one_member_sends_reaches_both()", DocsExample("A complete test"), StringComparison.Ordinal);
        Assert.Contains("new TestWebSocketConnection()", DocsExample("A handler alone: the connection double"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_chat_handler_the_tests_compile_is_the_READMEs_verbatim()
    {
        var readme = Repository.ReadFile("README.md");
        var section = new Regex(@"^## Write your own handler\s*$.*?^```csharp\s*$(?<code>.*?)^```\s*$", RegexOptions.Multiline | RegexOptions.Singleline).Match(readme);
        Assert.True(section.Success, "README.md has no C# block under \"## Write your own handler\".");
        Assert.Contains(section.Groups["code"].Value.Trim(), TestCodeWithoutNamespace("ChatHandler.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_READMEs_handler_test_is_the_docs_complete_test_this_test_builds_and_runs()
    {
        var readme = new Regex(@"^## Testing your handler\s*$.*?^```csharp\s*$(?<code>.*?)^```\s*$", RegexOptions.Multiline | RegexOptions.Singleline)
            .Match(Repository.ReadFile("README.md"));
        Assert.True(readme.Success, "README.md has no C# block under \"## Testing your handler\".");
        Assert.Contains(Collapse(readme.Groups["code"].Value), Collapse(DocsExample("A complete test")), StringComparison.Ordinal);

        static string Collapse(string code) => Whitespace().Replace(code, " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private const string DeliberatelyWrongTests = """
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.TestHost;
        using Microsoft.Extensions.DependencyInjection;
        using WebSocketEcho.Middleware.Testing;

        public class DeliberatelyWrongTests
        {
            [Fact]
            public async Task Expects_a_reply_the_handler_does_not_send()
            {
                var ct = TestContext.Current.CancellationToken;
                await using var app = await StartAsync(ct);
                await using var alice = await app.GetTestServer().ConnectWebSocketAsync("/chat", cancellationToken: ct);

                await alice.SendTextAsync("hi", ct);

                Assert.Equal("bye", await alice.ReceiveTextAsync(ct));
            }

            [Fact]
            public async Task Waits_for_a_reply_to_nothing()
            {
                var ct = TestContext.Current.CancellationToken;
                await using var app = await StartAsync(ct);
                await using var alice = await app.GetTestServer().ConnectWebSocketAsync("/chat", o => o.Timeout = TimeSpan.FromMilliseconds(200), ct);

                Assert.Equal("hi", await alice.ReceiveTextAsync(ct));
            }

            private static async Task<WebApplication> StartAsync(CancellationToken ct)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseTestServer();
                builder.Services.AddWebSocketHandler<ChatHandler>();
                var app = builder.Build();
                app.UseWebSocketHandler<ChatHandler>("/chat");
                await app.StartAsync(ct);
                return app;
            }
        }
        """;

    /// <summary>`dotnet test`'s closing line: "Failed!  - Failed:     2, Passed:     2, Skipped: ...".</summary>
    [GeneratedRegex(@"Failed:\s+(?<failed>\d+), Passed:\s+(?<passed>\d+)")]
    private static partial Regex Summary();

    /// <summary>The failure report of the wrong expectation, up to its stack trace.</summary>
    [GeneratedRegex(@"Failed DeliberatelyWrongTests\.Expects_a_reply_the_handler_does_not_send.*?Stack Trace", RegexOptions.Singleline)]
    private static partial Regex WrongExpectationReport();

    /// <summary>A test project as a user writes one, with the test framework versions the repository uses.</summary>
    private static string ConsumerProject()
    {
        var versions = XDocument.Parse(Repository.ReadFile("Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => e.Attribute("Include")!.Value, e => e.Attribute("Version")!.Value, StringComparer.Ordinal);
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Exe</OutputType>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="{versions["Microsoft.NET.Test.Sdk"]}" />
                <PackageReference Include="xunit.v3" Version="{versions["xunit.v3"]}" />
                <PackageReference Include="xunit.runner.visualstudio" Version="{versions["xunit.runner.visualstudio"]}" />
              </ItemGroup>
              <ItemGroup>
                <Using Include="Xunit" />
              </ItemGroup>
            </Project>
            """;
    }

    /// <summary>A handler the testing package's own tests hold as test code, moved to the global namespace as the docs' examples expect.</summary>
    private static string TestCodeWithoutNamespace(string file) =>
        Repository.ReadFile("tests", TestingTestsFolder, file).Replace($"namespace {TestingTestsFolder};", string.Empty, StringComparison.Ordinal);

    /// <summary>The first C# block under the docs/testing.md heading "## <paramref name="heading"/>", verbatim.</summary>
    private static string DocsExample(string heading)
    {
        var section = new Regex($@"^## {Regex.Escape(heading)}\s*$.*?^```csharp\s*$(?<code>.*?)^```\s*$", RegexOptions.Multiline | RegexOptions.Singleline)
            .Match(Repository.ReadFile("docs", "testing.md"));
        Assert.True(section.Success, $"docs/testing.md has no C# block under \"## {heading}\".");
        return section.Groups["code"].Value.TrimStart('\r', '\n');
    }
}
