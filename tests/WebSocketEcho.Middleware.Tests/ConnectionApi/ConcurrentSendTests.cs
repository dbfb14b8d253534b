using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.ConnectionApi;

/// <summary>
/// Many senders on one connection over the platform's real WebSocket, which throws on a second outstanding SendAsync:
/// every message must arrive whole, each sender's messages in its order, and nothing may fail.
/// </summary>
public sealed class ConcurrentSendTests
{
    private const int Senders = 50;
    private const int MessagesPerSender = 50;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fifty_tasks_sending_fifty_messages_each_from_inside_OnConnected_all_arrive_intact_and_in_per_task_order()
    {
        var sendErrors = new List<Exception>();
        var handler = new RecordingHandler
        {
            OnConnected = async c =>
            {
                try
                {
                    await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(() => SendAllAsync(c, s), Ct)));
                }
                catch (Exception ex)
                {
                    lock (sendErrors)
                    {
                        sendErrors.Add(ex);
                    }

                    throw;
                }
            },
        };
        await using var app = await TestApp.StartKestrelAsync(handler);
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);

        await ReceiveAndVerifyAllAsync(client);

        Assert.Empty(sendErrors);
        await CloseAndAssertCleanAsync(app, handler, client);
    }

    [Fact]
    public async Task Fifty_tasks_sending_fifty_messages_each_through_a_captured_connection_all_arrive_intact_and_in_per_task_order()
    {
        var handler = new RecordingHandler();
        await using var app = await TestApp.StartKestrelAsync(handler);
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        var connection = await handler.NextConnectedAsync();

        var receiving = ReceiveAndVerifyAllAsync(client);
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(() => SendAllAsync(connection, s), Ct)));
        await receiving;

        await CloseAndAssertCleanAsync(app, handler, client);
    }

    [Fact]
    public async Task Concurrent_outside_sends_while_the_handler_echoes_interleave_whole_messages()
    {
        var handler = new RecordingHandler(); // echoes every message from inside OnMessage
        await using var app = await TestApp.StartKestrelAsync(handler);
        using var client = await app.ConnectClientAsync(TestApp.HandlerPath);
        var connection = await handler.NextConnectedAsync();
        var received = new List<string>();
        var receiving = Task.Run(
            async () =>
            {
                while (received.Count < (Senders * MessagesPerSender) + 100)
                {
                    received.Add((await client.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Text);
                }
            },
            Ct);

        var outside = Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(() => SendAllAsync(connection, s), Ct)));
        for (var i = 0; i < 100; i++)
        {
            await client.SendTextAsync($"echo {i}", TestContext.Current.CancellationToken);
        }

        await outside;
        await receiving;

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"echo {i}"), received.Where(m => m.StartsWith("echo ", StringComparison.Ordinal)));
        VerifySenderMessages(received.Where(m => !m.StartsWith("echo ", StringComparison.Ordinal)).ToList());
        await CloseAndAssertCleanAsync(app, handler, client);
    }

    /// <summary>Sender <paramref name="sender"/>'s messages: text and binary alternately, some bigger than one TCP segment.</summary>
    private static async Task SendAllAsync(IWebSocketConnection connection, int sender)
    {
        for (var i = 0; i < MessagesPerSender; i++)
        {
            var text = Message(sender, i);
            if (i % 2 == 0)
            {
                await connection.SendTextAsync(text, Ct);
            }
            else
            {
                await connection.SendBinaryAsync(Encoding.UTF8.GetBytes(text), Ct);
            }
        }
    }

    /// <summary>"sender:index:" followed by a body whose length and content both depend on the two, so a torn or mixed message shows.</summary>
    private static string Message(int sender, int index)
    {
        var length = ((sender * 31) + (index * 17)) % 3000;
        return $"{sender}:{index}:" + new string((char)('a' + ((sender + index) % 26)), length);
    }

    private static async Task ReceiveAndVerifyAllAsync(WebSocket client)
    {
        var received = new List<string>();
        for (var n = 0; n < Senders * MessagesPerSender; n++)
        {
            var message = await client.ReceiveMessageAsync(TimeSpan.FromSeconds(30));
            var text = message.Text;
            var index = int.Parse(text.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(index % 2 == 0 ? WebSocketMessageType.Text : WebSocketMessageType.Binary, message.Type);
            received.Add(text);
        }

        VerifySenderMessages(received);
    }

    private static void VerifySenderMessages(List<string> received)
    {
        Assert.Equal(Senders * MessagesPerSender, received.Count);
        var bySender = received.GroupBy(m => int.Parse(m.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Senders, bySender.Count());
        foreach (var group in bySender)
        {
            Assert.Equal(Enumerable.Range(0, MessagesPerSender).Select(i => Message(group.Key, i)), group);
        }
    }

    private static async Task CloseAndAssertCleanAsync(TestApp app, RecordingHandler handler, ClientWebSocket client)
    {
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        var (connection, info) = await handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
        await app.WaitForConnectionClosedLogAsync(connection.Id);
        Assert.All(app.Logs.GetSnapshot(), r => Assert.True(r.Level < LogLevel.Warning, $"{r.Category}: {r.Message} {r.Exception}"));
    }
}
