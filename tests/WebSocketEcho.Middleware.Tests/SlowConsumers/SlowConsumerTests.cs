using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.SlowConsumers;

/// <summary>
/// A peer that stops reading while the server sends to it: the server must not buffer without bound, must close it
/// as a slow consumer (1008), fail sends to it with <see cref="WebSocketException"/>, and keep serving everyone else.
/// </summary>
public sealed class SlowConsumerTests
{
    private const int Chunk = 16 * 1024;

    // How long a slow consumer stays stuck before the server gives up on it (CloseTimeout, SendTimeout). The tests show
    // the other connections echoing meanwhile, so this is the margin for those echoes on a loaded machine (20 loopback
    // echoes take milliseconds, a second when the machine is saturated), not the point.
    private static readonly TimeSpan s_stuckFor = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Flooding_a_peer_that_stopped_reading_is_bounded_by_MaxPendingSendBytes_and_closes_it_with_1008_while_others_keep_echoing()
    {
        const long maxPending = 256 * 1024;
        var flood = new Flood(awaitEachSend: false);
        var handler = SlowRoleHandler(flood);
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o =>
        {
            o.MaxPendingSendBytes = maxPending;
            o.CloseTimeout = s_stuckFor;
        }));
        using var fast = new ClientWebSocket();
        await fast.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await handler.NextConnectedAsync();
        await using var slow = await ConnectNonReadingAsync(app.Port);
        var slowConnection = await handler.NextConnectedAsync();

        // The flood hits the limit: the send that would queue more than MaxPendingSendBytes fails at once.
        var failure = await flood.Failed.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.IsType<WebSocketException>(failure);
        Assert.Contains("MaxPendingSendBytes", failure.Message, StringComparison.Ordinal);
        Assert.True(flood.MaxQueuedBytes <= maxPending + Chunk, $"{flood.MaxQueuedBytes} bytes were queued, over MaxPendingSendBytes + one message");
        await Assert.ThrowsAsync<WebSocketException>(async () => await slowConnection.SendBinaryAsync(new byte[1], Ct));

        // The slow connection is stuck (its close frame cannot get through) until CloseTimeout; the other one echoes meanwhile.
        var echoing = Stopwatch.StartNew();
        var echoes = await EchoAsync(fast, 20);
        Assert.Equal(20, echoes);
        Assert.True(handler.DisconnectedCount == 0, $"the slow connection was gone before the 20 echoes ({echoing.Elapsed}) were done: they did not run while it was stuck");

        var (gone, info) = await handler.NextDisconnectedAsync(TimeSpan.FromSeconds(20));
        Assert.Same(slowConnection, gone);
        Assert.Equal(DisconnectReason.SlowConsumer, info.Reason);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, info.CloseStatus);
        Assert.Equal("Send buffer full", info.CloseStatusDescription);
        Assert.True(await slow.WaitForServerCloseAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Category == Log.Category && r.Id.Id == 10 && r.Message.Contains("MaxPendingSendBytes", StringComparison.Ordinal));

        // Every queued send ended (none hangs), and the fast connection still works.
        await flood.AllSendsEnded().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(1, await EchoAsync(fast, 1));
        Assert.Equal(WebSocketState.Open, fast.State);
    }

    [Fact]
    public async Task Awaited_send_to_a_peer_that_stopped_reading_is_aborted_after_SendTimeout_as_a_slow_consumer_while_others_keep_echoing()
    {
        var flood = new Flood(awaitEachSend: true);
        var handler = SlowRoleHandler(flood);
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => o.SendTimeout = s_stuckFor));
        using var fast = new ClientWebSocket();
        await fast.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await handler.NextConnectedAsync();
        await using var slow = await ConnectNonReadingAsync(app.Port);
        var slowConnection = await handler.NextConnectedAsync();

        await flood.Stuck.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        var echoing = Stopwatch.StartNew();
        Assert.Equal(20, await EchoAsync(fast, 20));
        Assert.True(handler.DisconnectedCount == 0, $"the slow connection was gone before the 20 echoes ({echoing.Elapsed}) were done: they did not run while it was stuck");

        // The stuck send failed no earlier than SendTimeout after it began (timers never fire early; the upper end is
        // the machine's load, so only the wait below bounds it).
        var failure = await flood.Failed.Task.WaitAsync(s_stuckFor + TimeSpan.FromSeconds(20), Ct);
        Assert.IsType<WebSocketException>(failure);
        Assert.True(flood.StuckUntilFailure >= s_stuckFor - TimeSpan.FromMilliseconds(50), $"the flood failed {flood.StuckUntilFailure} after its stuck send began, before SendTimeout ({s_stuckFor})");
        var (gone, info) = await handler.NextDisconnectedAsync(TimeSpan.FromSeconds(20));
        Assert.Same(slowConnection, gone);
        Assert.Equal(DisconnectReason.SlowConsumer, info.Reason);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, info.CloseStatus);
        Assert.Equal("Send timed out", info.CloseStatusDescription);
        Assert.True(await slow.WaitForServerCloseAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Category == Log.Category && r.Id.Id == 10 && r.Message.Contains("SendTimeout", StringComparison.Ordinal));
        Assert.Equal(1, await EchoAsync(fast, 1));
    }

    [Fact]
    public async Task README_chat_broadcast_reaches_every_reading_member_while_one_member_is_stuck_and_drops_that_one_after_SendTimeout()
    {
        var members = new ConcurrentDictionary<string, IWebSocketConnection>();
        var handler = new RecordingHandler
        {
            // The README's ChatHandler: all members at once, awaited together.
            OnConnected = connection =>
            {
                members[connection.Id] = connection;
                return ValueTask.CompletedTask;
            },
            OnMessage = async (from, message) =>
            {
                var line = message.GetText();
                await Task.WhenAll(members.Values.Select(member => SendLineAsync(member, line)));
            },
            OnDisconnected = (connection, disconnect) =>
            {
                members.TryRemove(connection.Id, out var removed);
                return ValueTask.CompletedTask;
            },
        };
        // Each reading member must take every line within SendTimeout: 5 s leaves room for a loaded machine.
        await using var app = await TestApp.StartKestrelAsync(a => a.UseWebSocketHandler("/ws", handler, o => o.SendTimeout = TimeSpan.FromSeconds(5)));
        await using var stuck = await ConnectNonReadingAsync(app.Port);
        var stuckConnection = await handler.NextConnectedAsync();
        using var reader = new ClientWebSocket();
        await reader.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        using var sender = new ClientWebSocket();
        await sender.ConnectAsync(app.WebSocketUri("/ws"), Ct);
        await handler.NextConnectedAsync();
        await handler.NextConnectedAsync();

        // 200 lines of 16 KiB, 3 MiB per member: far more than the stuck member's buffers.
        const int lines = 200;
        var text = new string('x', 16 * 1024);
        var reading = ReceiveLinesAsync(reader, lines);
        var draining = ReceiveLinesAsync(sender, lines);
        for (var i = 0; i < lines; i++)
        {
            await sender.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Ct);
        }

        // Every reading member gets every line, in order of sending; the stuck one held the room up once, for
        // SendTimeout, and was dropped as a slow consumer. Nobody who reads was closed.
        Assert.Equal(lines, await reading.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal(lines, await draining.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        var (gone, info) = await handler.NextDisconnectedAsync(TimeSpan.FromSeconds(20));
        Assert.Same(stuckConnection, gone);
        Assert.Equal(DisconnectReason.SlowConsumer, info.Reason);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, info.CloseStatus);
        Assert.Equal(1, handler.DisconnectedCount);
        Assert.Equal(WebSocketState.Open, reader.State);
        Assert.Equal(WebSocketState.Open, sender.State);
    }

    private static async Task SendLineAsync(IWebSocketConnection member, string line)
    {
        try
        {
            await member.SendTextAsync(line);
        }
        catch (WebSocketException)
        {
            // That member is gone or too slow; it is being closed.
        }
    }

    private static Task<int> ReceiveLinesAsync(ClientWebSocket client, int lines) => Task.Run(
        async () =>
        {
            for (var i = 0; i < lines; i++)
            {
                var message = await client.ReceiveMessageAsync(Ct, TimeSpan.FromSeconds(20));
                Assert.Equal(WebSocketMessageType.Text, message.Type);
                Assert.Equal(16 * 1024, message.Payload.Length);
            }

            return lines;
        },
        Ct);

    /// <summary>Echoes, and floods connections opened with <c>?role=slow</c> from a background task.</summary>
    private static RecordingHandler SlowRoleHandler(Flood flood) => new()
    {
        OnConnected = connection =>
        {
            if (connection.HttpContext.Request.Query["role"] == "slow")
            {
                flood.Start(connection);
            }

            return ValueTask.CompletedTask;
        },
    };

    /// <summary>A raw client with a tiny receive buffer that never reads.</summary>
    private static Task<RawWebSocketClient> ConnectNonReadingAsync(int port) =>
        RawWebSocketClient.ConnectAsync(port, "/ws?role=slow", static socket => socket.ReceiveBufferSize = 4096, cancellationToken: Ct);

    private static async Task<int> EchoAsync(ClientWebSocket client, int count)
    {
        var buffer = new byte[256];
        for (var i = 0; i < count; i++)
        {
            var text = $"echo {i}";
            await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Ct);
            var result = await client.ReceiveAsync(buffer, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        return count;
    }

    /// <summary>A background broadcaster that sends 16 KiB messages to one connection until a send fails.</summary>
    private sealed class Flood(bool awaitEachSend)
    {
        private readonly List<Task> _sends = [];
        private long _maxQueuedBytes;
        private long _stuckSendStarted;
        private long _failedAt;

        public TaskCompletionSource<Exception> Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Stuck { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets the most bytes that were waiting in sends that had not completed, at any point.</summary>
        public long MaxQueuedBytes => Interlocked.Read(ref _maxQueuedBytes);

        /// <summary>Gets the time from the start of the last send that got stuck (awaited sends only) to the flood's failure.</summary>
        public TimeSpan StuckUntilFailure => Stopwatch.GetElapsedTime(Interlocked.Read(ref _stuckSendStarted), Interlocked.Read(ref _failedAt));

        public void Start(IWebSocketConnection connection) => _ = Task.Run(() => RunAsync(connection));

        public Task AllSendsEnded()
        {
            lock (_sends)
            {
                // Each send ends one way or the other; the failures are expected and observed here.
                return Task.WhenAll(_sends.Select(s => s.ContinueWith(static t => { _ = t.Exception; }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)));
            }
        }

        private async Task RunAsync(IWebSocketConnection connection)
        {
            var payload = new byte[Chunk];
            try
            {
                // Bounded: the peer's buffers hold a few hundred KiB at most, so the limit is hit long before this ends.
                for (var i = 0; i < 20_000; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var send = connection.SendBinaryAsync(payload).AsTask();
                    if (awaitEachSend)
                    {
                        if (!send.IsCompleted && await Task.WhenAny(send, Task.Delay(500)) != send)
                        {
                            Interlocked.Exchange(ref _stuckSendStarted, started);
                            Stuck.TrySetResult();
                        }

                        await send;
                        continue;
                    }

                    if (send.IsFaulted)
                    {
                        await send;
                    }

                    lock (_sends)
                    {
                        _sends.Add(send);
                        var queued = _sends.Count(s => !s.IsCompleted) * (long)Chunk;
                        _maxQueuedBytes = Math.Max(_maxQueuedBytes, queued);
                    }

                    if (i % 4 == 3)
                    {
                        await Task.Delay(1);
                    }
                }

                Failed.TrySetResult(new InvalidOperationException("The flood never failed."));
            }
            catch (Exception ex)
            {
                Interlocked.Exchange(ref _failedAt, Stopwatch.GetTimestamp());
                Failed.TrySetResult(ex);
            }
        }
    }
}
