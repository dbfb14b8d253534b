using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Middleware.Redis.Tests.Infrastructure;
using WebSocketEcho.Packaging.Tests.Infrastructure;

namespace WebSocketEcho.Packaging.Tests;

/// <summary>
/// A new `dotnet new web` app that installs both packages with `dotnet add package`, turns the Redis backplane on in
/// one line, and runs as two instances (two processes) on one real redis-server: a message sent to one instance reaches
/// a client of the other; /health follows Redis; killing Redis closes no connection. Built as usual, and published
/// with Native AOT without a single warning.
/// </summary>
[Collection(DotNetCliTests.Name)]
public sealed class RedisConsumerAppTests
{
    private const string Program = """
        using WebSocketEcho.Middleware;

        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddWebSocketHandler<RoomHandler>().AddRedisBackplane(builder.Configuration["Redis"]!);
        builder.Services.AddHealthChecks().AddWebSocketRedisBackplane();

        var app = builder.Build();
        app.UseWebSocketHandler<RoomHandler>("/room");
        app.MapHealthChecks("/health");
        app.Run();

        sealed class RoomHandler(IWebSocketPush<RoomHandler> push) : IMessageHandler
        {
            public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message) =>
                await push.All.SendTextAsync(message.GetText());
        }
        """;

    private readonly PackedPackage _package;

    public RedisConsumerAppTests(PackedPackage package) => _package = package;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task New_web_app_with_both_packages_builds_without_warnings_and_two_instances_talk_through_a_real_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        using var temp = new TempFolder("wse-redis-consumer");
        var consumer = await CreateAsync(temp);

        var build = await DotNetCli.RunCheckedAsync(consumer.Folder, ["build", "-c", "Release", "--no-restore", "--disable-build-servers"], Timeouts.Command, consumer.Environment, Ct);
        Assert.Empty(build.Warnings);
        var output = Path.Combine(consumer.Folder, "bin", "Release", "net10.0");
        Assert.StartsWith(_package.Version, FileVersionInfo.GetVersionInfo(Path.Combine(output, "WebSocketEcho.Middleware.Redis.dll")).ProductVersion, StringComparison.Ordinal);

        await RunTwoInstancesAsync(redis, "dotnet", [Path.Combine(output, "Consumer.dll")], consumer);
    }

    [Fact]
    public async Task New_web_app_with_both_packages_published_with_Native_AOT_has_no_warnings_and_two_native_instances_talk_through_Redis()
    {
        NativeToolchain.Require();
        await using var redis = await RedisServer.StartAsync();
        using var temp = new TempFolder("wse-redis-aot");
        var consumer = await CreateAsync(temp);
        var publishDirectory = Path.Combine(temp.Path, "publish");

        var publish = await DotNetCli.RunCheckedAsync(
            consumer.Folder,
            ["publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", publishDirectory, "--disable-build-servers"],
            Timeouts.AotPublish,
            consumer.Environment,
            Ct);
        Assert.Empty(publish.Warnings);
        var binary = Path.Combine(publishDirectory, "Consumer");
        Assert.True(NativeAotTests.IsElfExecutable(binary), $"{binary} is not a native executable.");

        await RunTwoInstancesAsync(redis, binary, [], consumer);
    }

    private async Task<ConsumerProject> CreateAsync(TempFolder temp)
    {
        var consumer = await ConsumerProject.CreateAsync(temp, _package, ["WebSocketEcho.Middleware", "WebSocketEcho.Middleware.Redis"], Ct);
        await File.WriteAllTextAsync(Path.Combine(consumer.Folder, "Program.cs"), Program, Ct);
        return consumer;
    }

    private static async Task RunTwoInstancesAsync(RedisServer redis, string fileName, string[] arguments, ConsumerProject consumer)
    {
        string[] withRedis = [.. arguments, "--Redis=" + redis.Configuration];
        var (one, addressOne) = await ServerProcess.StartAsync(fileName, withRedis, consumer.Folder, Timeouts.AppStart, consumer.Environment);
        using (one)
        {
            var (two, addressTwo) = await ServerProcess.StartAsync(fileName, withRedis, consumer.Folder, Timeouts.AppStart, consumer.Environment);
            using (two)
            {
                using var http = new HttpClient();
                await WaitForHealthAsync(http, addressOne, HttpStatusCode.OK, "Healthy");
                await WaitForHealthAsync(http, addressTwo, HttpStatusCode.OK, "Healthy");

                using var atOne = new ClientWebSocket();
                using var atTwo = new ClientWebSocket();
                await atOne.ConnectAsync(new Uri($"ws://{addressOne.Authority}/room"), Ct);
                await atTwo.ConnectAsync(new Uri($"ws://{addressTwo.Authority}/room"), Ct);

                // Each instance subscribes in the background as it starts: send until a message crosses over.
                var receiving = ReceiveTextAsync(atTwo);
                for (var i = 0; !receiving.IsCompleted; i++)
                {
                    Assert.True(i < 300, "Nothing sent to instance one reached instance two within 30 s.\n" + one.Output + two.Output);
                    await atOne.SendAsync(Encoding.UTF8.GetBytes($"hello {i}"), WebSocketMessageType.Text, true, Ct);
                    await Task.WhenAny(receiving, Task.Delay(100, Ct));
                }

                Assert.StartsWith("hello ", await receiving, StringComparison.Ordinal);

                // Redis gone: /health says so, the connections stay open, and each instance still delivers locally.
                redis.Kill();
                await WaitForHealthAsync(http, addressOne, HttpStatusCode.ServiceUnavailable, "Unhealthy");
                await atTwo.SendAsync("local while Redis is down"u8.ToArray(), WebSocketMessageType.Text, true, Ct);
                Assert.Equal("local while Redis is down", await ReceiveUntilAsync(atTwo, "local while Redis is down"));
                Assert.Equal(WebSocketState.Open, atOne.State);

                await atOne.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
                await atTwo.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
                Assert.Equal(0, await two.StopGracefullyAsync(Timeouts.AppStart));
            }

            Assert.Equal(0, await one.StopGracefullyAsync(Timeouts.AppStart));
        }
    }

    private static async Task WaitForHealthAsync(HttpClient http, Uri address, HttpStatusCode status, string body)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(new Uri(address, "/health"), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == status && text == body)
            {
                return;
            }

            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"/health at {address} still answers {(int)response.StatusCode} {text}; expected {(int)status} {body}.");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    private static async Task<string> ReceiveUntilAsync(ClientWebSocket socket, string expected)
    {
        while (true)
        {
            var text = await ReceiveTextAsync(socket);
            if (text == expected)
            {
                return text;
            }
        }
    }
}
