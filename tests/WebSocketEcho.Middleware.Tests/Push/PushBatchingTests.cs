using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// The transport side of the push drain: while a batch is open, the whole frames the platform's WebSocket writes (its
/// own framing, untouched) are gathered and reach the transport in one write when the batch ends; outside a batch every
/// write goes straight through. And a push queued just before the handler closes still goes out before the close frame.
/// </summary>
public sealed class PushBatchingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Three_messages_sent_during_a_batch_reach_the_transport_as_one_write_when_it_ends_intact_and_in_order()
    {
        var wire = new RecordingStream();
        var transport = new TransportStream(wire, maxFragmentsPerMessage: 16);
        using var server = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        transport.BeginBatch();
        await server.SendAsync("one"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, Ct);
        await server.SendAsync(new byte[300], WebSocketMessageType.Binary, endOfMessage: true, Ct);
        await server.SendAsync("three"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, Ct);
        Assert.Equal(0, wire.Writes);

        await transport.EndBatchAsync();
        Assert.Equal(1, wire.Writes);
        Assert.Equal((2 + 3) + (4 + 300) + (2 + 5), wire.Bytes.Length);

        // A client over the bytes written reads the three messages, in order, as the platform framed them.
        using var client = WebSocket.CreateFromStream(new MemoryStream(wire.Bytes), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        Assert.Equal(("one", WebSocketMessageType.Text), await ReceiveAsync(client));
        Assert.Equal((new string('\0', 300), WebSocketMessageType.Binary), await ReceiveAsync(client));
        Assert.Equal(("three", WebSocketMessageType.Text), await ReceiveAsync(client));
    }

    [Fact]
    public async Task Outside_a_batch_each_message_is_its_own_write_and_an_empty_batch_writes_nothing()
    {
        var wire = new RecordingStream();
        var transport = new TransportStream(wire, maxFragmentsPerMessage: 16);
        using var server = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        await server.SendAsync("a"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, Ct);
        await server.SendAsync("b"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, Ct);
        Assert.Equal(2, wire.Writes);

        transport.BeginBatch();
        await transport.EndBatchAsync();
        Assert.Equal(2, wire.Writes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_push_queued_just_before_the_handler_closes_arrives_before_the_close_frame(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        using var member = await app.ConnectAsync(PushApp.AlphaPath);

        await member.SendAsync("pushclose:last words");

        Assert.Equal("last words", await member.ReceiveTextAsync());
        var close = await member.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Close, close.Type);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
        Assert.Equal("bye", close.CloseDescription);
    }

    private static async Task<(string Text, WebSocketMessageType Type)> ReceiveAsync(WebSocket client)
    {
        var buffer = new byte[1024];
        var result = await client.ReceiveAsync(buffer, Ct);
        Assert.True(result.EndOfMessage);
        return (Encoding.UTF8.GetString(buffer, 0, result.Count), result.MessageType);
    }

    /// <summary>A transport that records what was written and in how many writes (readable for the platform's check; never read).</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly MemoryStream _written = new();

        public int Writes { get; private set; }

        public byte[] Bytes => _written.ToArray();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            _written.Write(buffer.Span);
            return default;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _written.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
