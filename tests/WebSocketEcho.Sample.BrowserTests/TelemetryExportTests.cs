using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests;

/// <summary>
/// The sample's OpenTelemetry switch (<c>OpenTelemetry:Exporter</c>), on sample processes of the tests' own: the console
/// exporter prints the message's activity with its tags (never the payload) and, at shutdown, the metrics; the OTLP
/// exporter posts both to the collector <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names; without configuration nothing is exported.
/// </summary>
public sealed class TelemetryExportTests
{
    private const string Payload = "trace me 5d1e";
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_the_console_exporter_the_message_activity_is_printed_with_its_tags_and_no_payload_and_metrics_at_shutdown()
    {
        await using var server = await SampleServer.StartAsync(Ct, new Dictionary<string, string> { ["OpenTelemetry__Exporter"] = "console" });
        await EchoOnceAsync(server);

        var activity = await WaitForActivityAsync(server, "OnMessageAsync /echo");
        Assert.Contains("Activity.Kind:               Consumer", activity, StringComparison.Ordinal);
        Assert.Contains("websocket.endpoint: /echo", activity, StringComparison.Ordinal);
        Assert.Contains("websocket.message.type: text", activity, StringComparison.Ordinal);
        Assert.Contains($"messaging.message.body.size: {Encoding.UTF8.GetByteCount(Payload)}", activity, StringComparison.Ordinal);
        Assert.Contains("websocket.connection.id: ", activity, StringComparison.Ordinal);
        Assert.Contains("Activity.Links:", activity, StringComparison.Ordinal);
        Assert.Contains("Name: WebSocketEcho.Middleware", activity, StringComparison.Ordinal);

        // The upgrade request's activity ends with the connection; the connected activity is its child.
        var connected = await WaitForActivityAsync(server, "OnConnectedAsync /echo");
        Assert.Contains("Activity.ParentSpanId:", connected, StringComparison.Ordinal);

        Assert.Equal(0, await server.StopAsync(Ct));
        Assert.Contains("websocket.server.received.messages", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("5d1e", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_OTLP_exporter_traces_and_metrics_reach_the_collector_named_by_OTEL_EXPORTER_OTLP_ENDPOINT()
    {
        using var collector = FakeCollector.Start();
        await using var server = await SampleServer.StartAsync(Ct, new Dictionary<string, string>
        {
            ["OpenTelemetry__Exporter"] = "otlp",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        await EchoOnceAsync(server);

        // The batch processors flush at shutdown at the latest.
        Assert.Equal(0, await server.StopAsync(Ct));
        var traces = Encoding.UTF8.GetString(collector.Received("/v1/traces"));
        var metrics = Encoding.UTF8.GetString(collector.Received("/v1/metrics"));
        Assert.Contains("OnMessageAsync /echo", traces, StringComparison.Ordinal);
        Assert.Contains("websocket.endpoint", traces, StringComparison.Ordinal);
        Assert.Contains("WebSocketEcho.Sample", traces, StringComparison.Ordinal);
        Assert.DoesNotContain("5d1e", traces, StringComparison.Ordinal);
        Assert.Contains("websocket.server.received.messages", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_configuration_nothing_is_exported()
    {
        await using var server = await SampleServer.StartAsync(Ct);
        await EchoOnceAsync(server);
        Assert.Equal(0, await server.StopAsync(Ct));

        Assert.DoesNotContain("Activity.", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("websocket.server.", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Resource associated with", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_exporter_stops_the_startup_with_a_message_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SampleServer.StartAsync(Ct, new Dictionary<string, string> { ["OpenTelemetry__Exporter"] = "zipkin" }));
        Assert.Contains("OpenTelemetry:Exporter is 'zipkin'; it must be 'console', 'otlp'", error.Message, StringComparison.Ordinal);
    }

    private static async Task EchoOnceAsync(SampleServer server)
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.EchoUri, Ct);
        await client.SendAsync(Encoding.UTF8.GetBytes(Payload), WebSocketMessageType.Text, endOfMessage: true, Ct);
        var buffer = new byte[256];
        var reply = await client.ReceiveAsync(buffer, Ct).WaitAsync(s_wait, Ct);
        Assert.Equal("Received:  " + Payload, Encoding.UTF8.GetString(buffer, 0, reply.Count));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    /// <summary>Waits until the console exporter has printed the whole activity named <paramref name="displayName"/>; returns its lines.</summary>
    private static async Task<string> WaitForActivityAsync(SampleServer server, string displayName)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (true)
        {
            if (FindActivity(server.Output.Split(Environment.NewLine), displayName) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The console exporter printed no complete '{displayName}' activity within {s_wait}. Output:{Environment.NewLine}{server.Output}");
            }

            await Task.Delay(50, Ct);
        }
    }

    /// <summary>
    /// The console exporter prints an activity as a block from <c>Activity.TraceId:</c> to its resource's attributes;
    /// returns the block whose display name is <paramref name="displayName"/> once its instrumentation scope is printed.
    /// </summary>
    private static string? FindActivity(string[] lines, string displayName)
    {
        var start = Array.FindIndex(lines, l => l.StartsWith("Activity.DisplayName:", StringComparison.Ordinal) && l.EndsWith(" " + displayName, StringComparison.Ordinal));
        if (start < 0)
        {
            return null;
        }

        var first = Array.FindLastIndex(lines, start, l => l.StartsWith("Activity.TraceId:", StringComparison.Ordinal));
        var scope = Array.FindIndex(lines, start, l => l.StartsWith("Instrumentation scope", StringComparison.Ordinal));
        if (first < 0 || scope < 0 || scope + 2 >= lines.Length)
        {
            return null;
        }

        return string.Join(Environment.NewLine, lines[first..(scope + 3)]);
    }

    /// <summary>
    /// The receiving end of OTLP over HTTP (protobuf): records every request body by path and answers 200. Protobuf
    /// keeps strings as UTF-8, so a test can look for names in the bytes. Listens on a free loopback port.
    /// </summary>
    private sealed class FakeCollector : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly ConcurrentQueue<(string Path, byte[] Body)> _requests = new();
        private readonly Task _loop;

        private FakeCollector(HttpListener listener, string address)
        {
            _listener = listener;
            Address = address;
            _loop = Task.Run(ServeAsync);
        }

        public string Address { get; }

        public static FakeCollector Start()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();

            var address = $"http://127.0.0.1:{port}";
            var listener = new HttpListener();
            listener.Prefixes.Add(address + "/");
            listener.Start();
            return new FakeCollector(listener, address);
        }

        /// <summary>Gets the bodies posted to <paramref name="path"/>, concatenated.</summary>
        public byte[] Received(string path) => [.. _requests.Where(r => r.Path == path).SelectMany(r => r.Body)];

        public void Dispose()
        {
            _listener.Close();
            _ = _loop.Wait(TimeSpan.FromSeconds(5));
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                _requests.Enqueue((context.Request.Url?.AbsolutePath ?? string.Empty, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }
    }
}
