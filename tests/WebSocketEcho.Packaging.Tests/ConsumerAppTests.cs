using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using WebSocketEcho.Packaging.Tests.Infrastructure;

namespace WebSocketEcho.Packaging.Tests;

/// <summary>
/// The README's promise "used by: dotnet add package": a new `dotnet new web` app installs the packed package from a
/// local feed, takes the README's Program.cs verbatim, builds, runs and echoes.
/// </summary>
[Collection(DotNetCliTests.Name)]
public sealed partial class ConsumerAppTests
{
    private readonly PackedPackage _package;

    public ConsumerAppTests(PackedPackage package) => _package = package;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task New_web_app_with_dotnet_add_package_and_the_READMEs_Program_cs_builds_runs_and_echoes_with_the_chapters_prefix()
    {
        using var temp = new TempFolder("wse-consumer");
        var project = temp.Folder("Consumer");

        // Isolated package cache: the package can only come from this run's feed, never from an earlier run.
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = temp.Folder("packages") };
        await ConsumerNuGetConfig.WriteAsync(project, _package.Feed, fallbackPackagesFolder: null, Ct);

        await DotNetCli.RunCheckedAsync(project, ["new", "web", "--name", "Consumer", "--output", project, "--no-update-check"], Timeouts.Command, environment, Ct);
        await DotNetCli.RunCheckedAsync(
            project, ["add", "package", "WebSocketEcho.Middleware", "--version", _package.Version, "--source", _package.Feed], Timeouts.Command, environment, Ct);
        Assert.Contains($"""<PackageReference Include="WebSocketEcho.Middleware" Version="{_package.Version}" />""", await File.ReadAllTextAsync(Path.Combine(project, "Consumer.csproj"), Ct), StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), ReadmeProgram(), Ct);
        var build = await DotNetCli.RunCheckedAsync(project, ["build", "-c", "Release", "--no-restore", "--disable-build-servers"], Timeouts.Command, environment, Ct);
        Assert.Empty(build.Warnings);

        var output = Path.Combine(project, "bin", "Release", "net10.0");
        Assert.StartsWith(_package.Version, FileVersionInfo.GetVersionInfo(Path.Combine(output, "WebSocketEcho.Middleware.dll")).ProductVersion, StringComparison.Ordinal);

        var (server, address) = await ServerProcess.StartAsync("dotnet", [Path.Combine(output, "Consumer.dll")], project, Timeouts.AppStart, environment);
        using (server)
        {
            using var client = new ClientWebSocket();
            await client.ConnectAsync(new Uri($"ws://{address.Authority}/echo"), Ct);
            await client.SendAsync(Encoding.UTF8.GetBytes("Hello, world!"), WebSocketMessageType.Text, true, Ct);
            var buffer = new byte[256];
            var reply = await client.ReceiveAsync(buffer, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal("Received:  Hello, world!", Encoding.UTF8.GetString(buffer, 0, reply.Count));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);

            // "Plain HTTP requests to /echo pass to the next middleware untouched": here there is none, so 404.
            using var http = new HttpClient { BaseAddress = address };
            using var plain = await http.GetAsync(new Uri("/echo", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);

            Assert.Equal(0, await server.StopGracefullyAsync(Timeouts.AppStart));
        }

        // The same app, now with the README's push and groups examples as written: the "Push from anywhere" program, the
        // chat handler of "Write your own handler", and the room handler of "Groups", mapped as that section shows.
        const string Usings = "using System.Net.WebSockets;\nusing WebSocketEcho.Middleware;\n\n";
        var groups = ReadmeBlock("Groups");
        var mapRooms = groups[..groups.IndexOf("public sealed class RoomHandler", StringComparison.Ordinal)].Trim();
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), ReadmeBlock("Push from anywhere").Replace("app.Run();", mapRooms + "\napp.Run();", StringComparison.Ordinal), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "ChatHandler.cs"), Usings + ReadmeBlock("Write your own handler"), Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "RoomHandler.cs"), Usings + groups[groups.IndexOf("public sealed class RoomHandler", StringComparison.Ordinal)..], Ct);
        build = await DotNetCli.RunCheckedAsync(project, ["build", "-c", "Release", "--no-restore", "--disable-build-servers"], Timeouts.Command, environment, Ct);
        Assert.Empty(build.Warnings);

        (server, address) = await ServerProcess.StartAsync("dotnet", [Path.Combine(output, "Consumer.dll")], project, Timeouts.AppStart, environment);
        using (server)
        {
            using var alice = await ConnectAsync(address, "/chat");
            using var bob = await ConnectAsync(address, "/chat");
            await alice.SendAsync(Encoding.UTF8.GetBytes("hi from alice"), WebSocketMessageType.Text, true, Ct);
            Assert.Equal("hi from alice", await ReceiveTextAsync(alice));
            Assert.Equal("hi from alice", await ReceiveTextAsync(bob));

            using var http = new HttpClient { BaseAddress = address };
            using var announced = await http.PostAsync(new Uri("/announce?text=from%20HTTP", UriKind.Relative), content: null, Ct);
            Assert.Equal(HttpStatusCode.Accepted, announced.StatusCode);
            Assert.Equal("2", await announced.Content.ReadAsStringAsync(Ct));
            Assert.Equal("from HTTP", await ReceiveTextAsync(alice));
            Assert.Equal("from HTTP", await ReceiveTextAsync(bob));

            using var blue1 = await ConnectAsync(address, "/rooms/blue");
            using var blue2 = await ConnectAsync(address, "/rooms/blue");
            using var red = await ConnectAsync(address, "/rooms/red");
            await blue1.SendAsync(Encoding.UTF8.GetBytes("blue only"), WebSocketMessageType.Text, true, Ct);
            await red.SendAsync(Encoding.UTF8.GetBytes("red only"), WebSocketMessageType.Text, true, Ct);
            Assert.Equal("blue only", await ReceiveTextAsync(blue2));
            await blue2.SendAsync(Encoding.UTF8.GetBytes("back to blue1"), WebSocketMessageType.Text, true, Ct);
            Assert.Equal("back to blue1", await ReceiveTextAsync(blue1));   // not "red only", and not its own "blue only"

            Assert.Equal(0, await server.StopGracefullyAsync(Timeouts.AppStart));
        }
    }

    [Fact]
    public void READMEs_push_and_groups_examples_are_the_ones_this_test_builds()
    {
        Assert.Contains("app.MapPost(\"/announce\"", ReadmeBlock("Push from anywhere"), StringComparison.Ordinal);
        Assert.Contains("public sealed class ChatHandler", ReadmeBlock("Write your own handler"), StringComparison.Ordinal);
        Assert.Contains("app.MapWebSocketHandler<RoomHandler>(\"/rooms/{room}\");", ReadmeBlock("Groups"), StringComparison.Ordinal);
        Assert.Contains("public sealed class RoomHandler", ReadmeBlock("Groups"), StringComparison.Ordinal);
    }

    [Fact]
    public void READMEs_usage_snippet_is_the_three_line_program_this_test_builds()
    {
        var program = ReadmeProgram();
        Assert.Contains("using WebSocketEcho.Middleware;", program, StringComparison.Ordinal);
        Assert.Contains("app.UseWebSocketHandler(\"/echo\", new EchoMessageHandler(\"Received:  \"));", program, StringComparison.Ordinal);
        Assert.Contains("app.Run();", program, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^## Use it in your app\s*$.*?^```csharp\s*$(?<code>.*?)^```\s*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex UsageSnippet();

    /// <summary>The first C# block of the README's section <paramref name="heading"/>, verbatim.</summary>
    private static string ReadmeBlock(string heading)
    {
        var match = new Regex($@"^## {Regex.Escape(heading)}\s*$.*?^```csharp\s*$(?<code>.*?)^```\s*$", RegexOptions.Multiline | RegexOptions.Singleline)
            .Match(Repository.ReadFile("README.md"));
        Assert.True(match.Success, $"README.md has no C# block under \"## {heading}\".");
        return match.Groups["code"].Value.TrimStart('\r', '\n');
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri address, string path)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://{address.Authority}{path}"), Ct);
        return client;
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket client)
    {
        var buffer = new byte[1024];
        var result = await client.ReceiveAsync(buffer, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(result.EndOfMessage && result.MessageType == WebSocketMessageType.Text, $"Expected a whole text message, got {result.MessageType}.");
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>The C# block of the README's "Use it in your app" section, verbatim.</summary>
    private static string ReadmeProgram()
    {
        var match = UsageSnippet().Match(Repository.ReadFile("README.md"));
        Assert.True(match.Success, "README.md has no C# block under \"## Use it in your app\".");
        return match.Groups["code"].Value.TrimStart('\r', '\n');
    }
}
