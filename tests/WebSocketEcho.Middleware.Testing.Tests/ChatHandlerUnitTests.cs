using System.Net.WebSockets;

namespace WebSocketEcho.Middleware.Testing.Tests;

/// <summary>The README's chat handler and the package README's shout handler tested without a server, with the connection double.</summary>
public sealed class ChatHandlerUnitTests
{
    [Fact]
    public async Task Line_from_alice_reaches_alice_and_bob_with_her_name()
    {
        var handler = new ChatHandler();
        var alice = new TestWebSocketConnection().AuthenticateAs("alice");
        var bob = new TestWebSocketConnection().AuthenticateAs("bob");
        await handler.OnConnectedAsync(alice);
        await handler.OnConnectedAsync(bob);

        await handler.OnMessageAsync(alice, TestMessages.Text("hi"));

        Assert.Equal(["alice: hi"], alice.SentTexts);
        Assert.Equal(["alice: hi"], bob.SentTexts);
    }

    [Fact]
    public async Task Binary_message_closes_the_sender_with_1003_Text_only_and_sends_nothing()
    {
        var handler = new ChatHandler();
        var alice = new TestWebSocketConnection();
        await handler.OnConnectedAsync(alice);

        await handler.OnMessageAsync(alice, TestMessages.Binary([1, 2]));

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, alice.CloseStatus);
        Assert.Equal("Text only", alice.CloseStatusDescription);
        Assert.Empty(alice.SentMessages);
    }

    [Fact]
    public async Task Member_who_disconnected_gets_nothing_more()
    {
        var handler = new ChatHandler();
        var alice = new TestWebSocketConnection();
        var bob = new TestWebSocketConnection();
        await handler.OnConnectedAsync(alice);
        await handler.OnConnectedAsync(bob);

        await handler.OnDisconnectedAsync(bob, bob.CloseFromPeer());
        await handler.OnMessageAsync(alice, TestMessages.Text("anyone?"));

        Assert.Equal(["anonymous: anyone?"], alice.SentTexts);
        Assert.Empty(bob.SentTexts);
    }

    [Fact]
    public async Task Member_whose_connection_ended_unnoticed_does_not_stop_the_line_reaching_the_others()
    {
        var handler = new ChatHandler();
        var alice = new TestWebSocketConnection();
        var gone = new TestWebSocketConnection();
        await handler.OnConnectedAsync(alice);
        await handler.OnConnectedAsync(gone);

        gone.Abort(); // sends to it now throw WebSocketException, which the handler swallows
        await handler.OnMessageAsync(alice, TestMessages.Text("still works"));

        Assert.Equal(["anonymous: still works"], alice.SentTexts);
    }

    [Fact]
    public async Task ShoutHandler_shouts_text_back_and_closes_with_1003_on_binary()
    {
        var handler = new ShoutHandler();
        var connection = new TestWebSocketConnection();

        await handler.OnMessageAsync(connection, TestMessages.Text("hi"));
        await handler.OnMessageAsync(connection, TestMessages.Binary([1, 2]));

        Assert.Equal(["HI"], connection.SentTexts);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, connection.CloseStatus);
        Assert.Equal("Text only", connection.CloseStatusDescription);
    }
}
