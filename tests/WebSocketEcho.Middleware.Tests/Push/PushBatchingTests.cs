using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Pushes on a real server go through each connection's push queue and are written as batches of frames the
/// middleware encodes itself: every message must still arrive whole, in order, with the minimal length encoding,
/// between the platform's own control frames, and behind nothing its caller sent later.
/// </summary>
public sealed class PushBatchingTests
{
    private sealed class Members(IWebSocketPush<Members> push) : IMessageHandler
    {
        public async ValueTask OnConnectedAsync(IWebSocketConnection connection) =>
            await connection.SendTextAsync("id:" + connection.Id);

        /// <summary>"order": a push to this connection, then the handler's own reply; both must arrive in that order.</summary>
        public async ValueTask OnMessageAsync(IWebSocketConnection connection, WebSocketMessage message)
        {
            var round = message.GetText();
            var result = await push.Connection(connection.Id).SendTextAsync("pushed " + round);
            Assert.Equal(1, result.Reached);
            await connection.SendTextAsync("reply " + round);
        }
    }

    /// <summary>Payload lengths around every frame header size: 7-bit, 16-bit and 64-bit lengths, and the 64 KiB batch boundary.</summary>
    public static readonly int[] Lengths = [0, 1, 125, 126, 127, 1000, 65_535, 65_536, 65_537, 200_000];

    [Fact]
    public async Task Pushes_of_every_header_size_arrive_whole_and_in_order_with_the_minimal_length_encoding()
    {
        await using var app = await StartAsync(o => o.MaxPendingSendBytes = 64 * 1024 * 1024);
        await using var client = await RawWebSocketClient.ConnectAsync(app.Port, "/members", cancellationToken: TestContext.Current.CancellationToken);
        var id = (await client.ReadFrameAsync(cancellationToken: TestContext.Current.CancellationToken)).TextPayload[3..];
        var push = app.Services.GetRequiredService<IWebSocketPush<Members>>();

        // Three rounds of all lengths, text and binary alternating, without waiting: they queue and go out in batches.
        var expected = new List<(byte Opcode, byte[] Payload)>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var length in Lengths)
            {
                var payload = Payload(length, seed: expected.Count);
                var binary = expected.Count % 2 == 1;
                var result = binary
                    ? await push.Connection(id).SendBinaryAsync(payload, TestContext.Current.CancellationToken)
                    : await push.Connection(id).SendTextAsync(payload, TestContext.Current.CancellationToken);
                Assert.Equal(1, result.Reached);
                expected.Add((binary ? Frame.Binary : Frame.Text, payload));
            }
        }

        foreach (var (opcode, payload) in expected)
        {
            var frame = await client.ReadFrameAsync(cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(frame.Fin);
            Assert.Equal(0, frame.Rsv);
            Assert.False(frame.Masked);
            Assert.Equal(opcode, frame.Opcode);
            Assert.Equal(payload, frame.Payload);
            Assert.Equal(payload.Length <= 125 ? 7 : payload.Length <= ushort.MaxValue ? 7 + 16 : 7 + 64, frame.LengthBits);
        }
    }

    [Fact]
    public async Task A_push_awaited_before_the_handlers_own_send_arrives_before_it_every_time()
    {
        await using var app = await StartAsync();
        using var client = await app.ConnectClientAsync("/members");
        _ = await client.ReceiveMessageAsync();

        for (var round = 0; round < 300; round++)
        {
            await client.SendTextAsync(round.ToString(System.Globalization.CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);
            Assert.Equal($"pushed {round}", (await client.ReceiveMessageAsync()).Text);
            Assert.Equal($"reply {round}", (await client.ReceiveMessageAsync()).Text);
        }
    }

    [Fact]
    public async Task Pushed_batches_and_the_platforms_own_pongs_never_interleave_inside_a_frame()
    {
        // KeepAliveTimeout infinite: the platform sends an unsolicited pong every KeepAliveInterval, from its own timer,
        // while the push queue writes batches to the same transport.
        await using var app = await StartAsync(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(1);
            o.KeepAliveTimeout = Timeout.InfiniteTimeSpan;
            o.MaxPendingSendBytes = 64 * 1024 * 1024;
        });
        await using var client = await RawWebSocketClient.ConnectAsync(app.Port, "/members", cancellationToken: TestContext.Current.CancellationToken);
        var id = (await client.ReadFrameAsync(cancellationToken: TestContext.Current.CancellationToken)).TextPayload[3..];
        var push = app.Services.GetRequiredService<IWebSocketPush<Members>>();

        var next = 0;
        var controlFrames = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        while (controlFrames < 20)
        {
            // A round of 500 pushes of mixed sizes, then read them back, counting the control frames in between.
            var first = next;
            for (var i = 0; i < 500; i++, next++)
            {
                await push.Connection(id).SendTextAsync(Payload(Lengths[next % 7], seed: next), deadline.Token);
            }

            for (var expected = first; expected < next;)
            {
                var frame = await client.ReadFrameAsync(cancellationToken: TestContext.Current.CancellationToken);
                if (frame.Opcode == Frame.Pong)
                {
                    controlFrames++;
                    continue;
                }

                Assert.Equal(Frame.Text, frame.Opcode);
                Assert.True(frame.Fin);
                Assert.Equal(Payload(Lengths[expected % 7], seed: expected), frame.Payload);
                expected++;
            }
        }
    }

    [Fact]
    public async Task A_queued_push_whose_token_is_cancelled_before_it_is_written_is_skipped_and_the_rest_arrive()
    {
        await using var app = await StartAsync(o => o.MaxPendingSendBytes = 256 * 1024 * 1024);
        await using var client = await RawWebSocketClient.ConnectAsync(app.Port, "/members", s => s.ReceiveBufferSize = 4096, cancellationToken: TestContext.Current.CancellationToken);
        var id = (await client.ReadFrameAsync(cancellationToken: TestContext.Current.CancellationToken)).TextPayload[3..];
        var push = app.Services.GetRequiredService<IWebSocketPush<Members>>();

        // 32 MiB for a client that does not read yet: the drain blocks in a write long before it gets to the rest.
        var big = Payload(1024 * 1024, seed: 7);
        for (var i = 0; i < 32; i++)
        {
            Assert.Equal(1, (await push.Connection(id).SendBinaryAsync(big, TestContext.Current.CancellationToken)).Reached);
        }

        using var cancel = new CancellationTokenSource();
        Assert.Equal(1, (await push.Connection(id).SendTextAsync("cancelled", cancel.Token)).Reached);
        await cancel.CancelAsync();
        Assert.Equal(1, (await push.Connection(id).SendTextAsync("after", TestContext.Current.CancellationToken)).Reached);

        for (var i = 0; i < 32; i++)
        {
            var frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal(Frame.Binary, frame.Opcode);
            Assert.Equal(big.Length, frame.Payload.Length);
        }

        Assert.Equal("after", (await client.ReadFrameAsync(cancellationToken: TestContext.Current.CancellationToken)).TextPayload);
        await app.WaitForMiddlewareLogAsync(r => r.Id.Name == "PushNotSent" && r.Message.Contains("cancelled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pushes_to_a_peer_that_stopped_reading_stop_counting_it_once_MaxPendingSendBytes_is_queued_and_it_is_closed_with_1008()
    {
        await using var app = await StartAsync(o => o.MaxPendingSendBytes = 256 * 1024);
        await using var stuck = await RawWebSocketClient.ConnectAsync(app.Port, "/members", s => s.ReceiveBufferSize = 4096, cancellationToken: TestContext.Current.CancellationToken);
        var stuckId = (await stuck.ReadFrameAsync(cancellationToken: TestContext.Current.CancellationToken)).TextPayload[3..];
        using var reader = await app.ConnectClientAsync("/members");
        _ = await reader.ReceiveMessageAsync();
        var push = app.Services.GetRequiredService<IWebSocketPush<Members>>();

        // 64 KiB a message: the stuck peer is counted until its queue is over 256 KiB (plus what the transport took).
        var payload = Payload(64 * 1024, seed: 1);
        var reachedBoth = 0;
        PushResult result;
        do
        {
            result = await push.All.SendBinaryAsync(payload, TestContext.Current.CancellationToken);
            Assert.Equal(payload, (await reader.ReceiveMessageAsync()).Payload);
            reachedBoth += result.Reached == 2 ? 1 : 0;
        }
        while (result.Reached == 2 && reachedBoth < 10_000);

        Assert.Equal(1, result.Reached);
        Assert.InRange(reachedBoth, 4, 9_999);
        await app.WaitForMiddlewareLogAsync(r => r.Id.Id == 10 && r.GetStructuredStateValue("ConnectionId") == stuckId && r.Message.Contains("MaxPendingSendBytes", StringComparison.Ordinal));
        await app.WaitForConnectionClosedLogAsync(stuckId, TimeSpan.FromSeconds(30));
    }

    private static byte[] Payload(int length, int seed)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            payload[i] = (byte)('a' + ((i + seed) % 26));
        }

        return payload;
    }

    private static Task<TestApp> StartAsync(Action<WebSocketHandlerOptions>? configure = null) =>
        TestApp.StartKestrelAsync(
            a => a.UseWebSocketHandler<Members>("/members"),
            s =>
            {
                var options = s.AddWebSocketHandler<Members>();
                if (configure is not null)
                {
                    options.Configure(configure);
                }
            });
}
