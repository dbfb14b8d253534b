using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The receive loop of every connection of one endpoint. Per connection: register it and tell the handler
/// (OnConnected); then, for each message: wait for data with a zero-byte receive (an idle connection holds no buffer),
/// assemble the message in a pooled buffer within the limits, hand it to the handler, return the buffer; finally finish
/// the close handshake, end the transport and tell the handler (OnDisconnected) exactly once.
/// </summary>
/// <remarks>
/// The endpoint runs <see cref="RunAsync"/> once per accepted connection; everything here runs on that connection's
/// receive loop, the only reader of its socket. Sends from the handler go through the connection's writer.
/// </remarks>
internal sealed class MessagePump
{
    private readonly IMessageHandler _handler;
    private readonly EndpointContext _endpoint;
    private readonly ConnectionRegistry _registry;

    public MessagePump(IMessageHandler handler, EndpointContext endpoint, ConnectionRegistry registry)
    {
        _handler = handler;
        _endpoint = endpoint;
        _registry = registry;
    }

    /// <summary>What assembling a message came to.</summary>
    private enum Assembly
    {
        /// <summary>The whole message is in the buffer.</summary>
        Complete,

        /// <summary>The peer's close frame came instead of the rest of the message.</summary>
        PeerClosed,

        /// <summary>The message is bigger than MaxMessageSize.</summary>
        TooBig,

        /// <summary>The message has more frames than MaxFragmentsPerMessage.</summary>
        TooManyFragments,

        /// <summary>A text message ends inside a UTF-8 sequence.</summary>
        InvalidUtf8,

        /// <summary>A receive failed; the outcome has recorded why.</summary>
        ReceiveFailed,
    }

    /// <summary>
    /// Runs one accepted connection (its place in the registry was reserved) from open to end: registers it,
    /// and removes it (freeing its place) when it has ended. Never throws.
    /// </summary>
    public async Task RunAsync(WebSocketConnection connection)
    {
        var started = Stopwatch.GetTimestamp();
        var endpoint = _endpoint;
        var countedActive = false;

        // The handler hears of the connection's end only if it heard of its start (the user id lookup comes first).
        var handlerConnected = false;
        if (!_registry.Add(connection))
        {
            connection.Closing.StartForShutdown();
        }

        try
        {
            Log.ConnectionOpened(endpoint.Logger, connection.Id, endpoint.Name, connection.HttpContext.TraceIdentifier, connection.SubProtocol);
            countedActive = endpoint.Metrics.ConnectionOpened(endpoint.Name);
            var connected = true;
            var callback = nameof(IWebSocketUserIdProvider.GetUserId);
            try
            {
                // Reachable by push (by id and user) before the handler hears of it, so OnConnectedAsync can join groups.
                await endpoint.Push.RegisterAsync(connection).ConfigureAwait(false);
                callback = nameof(IMessageHandler.OnConnectedAsync);
                handlerConnected = true;
                await TracedCallbacks.OnConnectedAsync(_handler, connection, endpoint).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                connected = false;
                await connection.Outcome.OnHandlerFailedAsync(ex, callback).ConfigureAwait(false);
            }

            if (connected)
            {
                // The idle wait is here rather than in a nested async method, so an idle connection keeps one small
                // state machine alive (and no buffer): a zero-byte receive waits for the next frame.
                var socket = connection.Socket;
                while (!connection.Closing.IsStarted)
                {
                    ValueWebSocketReceiveResult first;
                    try
                    {
                        first = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        connection.Outcome.OnReceiveFailed(ex);
                        break;
                    }

                    if (!await ReceiveMessageAsync(connection, first).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }

            await connection.Closing.FinishAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Defensive: nothing may escape into the host. Record it as the reason if none was.
            connection.Outcome.OnReceiveFailed(ex);
        }
        finally
        {
            await EndAsync(connection, handlerConnected, countedActive, started).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Receives the message whose first frame <paramref name="first"/> announced and hands it to the handler, in steps:
    /// the peer's close instead of a message, assemble, stop at the peer's close or a broken limit, deliver. Returns false when the
    /// connection is ending. Pooled state machines: no allocation per message, even when a step has to wait.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReceiveMessageAsync(WebSocketConnection connection, ValueWebSocketReceiveResult first)
    {
        if (first.MessageType == WebSocketMessageType.Close)
        {
            await connection.Closing.OnPeerCloseAsync().ConfigureAwait(false);
            return false;
        }

        connection.Timeouts.OnDataReceived();
        if (connection.Closing.IsStarted)
        {
            return false;
        }

        var message = await AssembleAsync(connection, first).ConfigureAwait(false);
        if (message.Result != Assembly.Complete)
        {
            ReturnBuffer(message.Buffer);
            await StopReceivingAsync(connection, message.Result).ConfigureAwait(false);
            return false;
        }

        return await DeliverAsync(connection, message).ConfigureAwait(false);
    }

    /// <summary>
    /// Receives frames until the end of the message. A message whose first frame is its last and empty needs no buffer.
    /// Otherwise a buffer of ReceiveBufferSize is rented and doubled while it fills, up to MaxMessageSize; once full at
    /// that limit, the message is too big unless only empty frames follow. Every frame counts towards
    /// MaxFragmentsPerMessage. Never throws: a failed receive is recorded and reported as <see cref="Assembly.ReceiveFailed"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AssembledMessage> AssembleAsync(WebSocketConnection connection, ValueWebSocketReceiveResult first)
    {
        var type = first.MessageType;
        var number = connection.StartMessage();
        if (first.EndOfMessage)
        {
            return new AssembledMessage(type, [], 0, Assembly.Complete);
        }

        var socket = connection.Socket;
        var maxSize = _endpoint.Settings.MaxMessageSize;
        var buffer = _endpoint.Pool.Rent(_endpoint.Settings.ReceiveBufferSize);
        var length = 0;
        var frameEnds = 0;
        try
        {
            ValueWebSocketReceiveResult result;
            do
            {
                var capacity = Math.Min(buffer.Length, maxSize);
                if (length == capacity && capacity < maxSize)
                {
                    buffer = Grow(buffer, length);
                    capacity = Math.Min(buffer.Length, maxSize);
                }

                var atLimit = length == maxSize;
                var requested = atLimit ? 1 : capacity - length;
                result = atLimit
                    ? await ReceivePastLimitAsync(socket).ConfigureAwait(false)
                    : await socket.ReceiveAsync(buffer.AsMemory(length, requested), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return new AssembledMessage(type, buffer, length, Assembly.PeerClosed);
                }

                if (atLimit && result.Count > 0)
                {
                    return new AssembledMessage(type, buffer, length, Assembly.TooBig);
                }

                length += result.Count;

                // Without the transport's count: the platform returns early only at the end of a frame.
                var frameEnded = !result.EndOfMessage && result.Count < requested;
                if (HasTooManyFragments(connection, number, frameEnded, ref frameEnds))
                {
                    return new AssembledMessage(type, buffer, length, Assembly.TooManyFragments);
                }
            }
            while (!result.EndOfMessage);

            var complete = HasIncompleteUtf8Tail(type, result, buffer, length) ? Assembly.InvalidUtf8 : Assembly.Complete;
            return new AssembledMessage(type, buffer, length, complete);
        }
        catch (Exception ex)
        {
            connection.Outcome.OnReceiveFailed(ex);
            return new AssembledMessage(type, buffer, length, Assembly.ReceiveFailed);
        }
    }

    /// <summary>Hands the whole message to the handler and returns its buffer. False when the handler threw: the connection is ending.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> DeliverAsync(WebSocketConnection connection, AssembledMessage message)
    {
        _endpoint.Metrics.MessageReceived(_endpoint.Name, message.Type, message.Length);
        Exception? failure = null;
        try
        {
            await TracedCallbacks.OnMessageAsync(_handler, connection, new WebSocketMessage(message.Type, message.Buffer.AsMemory(0, message.Length)), _endpoint).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            ReturnBuffer(message.Buffer);
        }

        if (failure is not null)
        {
            await connection.Outcome.OnHandlerFailedAsync(failure, nameof(IMessageHandler.OnMessageAsync)).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>
    /// The message was not assembled: answers the peer's close, or closes for the limit the message broke. (A failed
    /// receive has already been recorded.)
    /// </summary>
    private Task StopReceivingAsync(WebSocketConnection connection, Assembly result)
    {
        switch (result)
        {
            case Assembly.PeerClosed:
                return connection.Closing.OnPeerCloseAsync();
            case Assembly.ReceiveFailed:
                return Task.CompletedTask;
            default:
                var end = result switch
                {
                    Assembly.InvalidUtf8 => ConnectionEnd.InvalidUtf8(),
                    Assembly.TooBig => ConnectionEnd.MessageTooBig(),
                    _ => ConnectionEnd.TooManyFragments(),
                };
                end.Report(_endpoint, connection.Id);
                return connection.Closing.StartAsync(end.Info);
        }
    }

    /// <summary>Ends the connection: the transport, push, the handler's OnDisconnected, the log, the metrics, the registry.</summary>
    private async Task EndAsync(WebSocketConnection connection, bool handlerConnected, bool countedActive, long started)
    {
        var endpoint = _endpoint;
        await connection.Closing.EndAsync().ConfigureAwait(false);
        endpoint.Push.Unregister(connection);
        var outcome = connection.Outcome.Info;
        try
        {
            if (handlerConnected)
            {
                await TracedCallbacks.OnDisconnectedAsync(_handler, connection, outcome, endpoint).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Log.DisconnectHandlerError(endpoint.Logger, ex, connection.Id);
            endpoint.Metrics.HandlerError(endpoint.Name, nameof(IMessageHandler.OnDisconnectedAsync), ex);
        }

        var duration = Stopwatch.GetElapsedTime(started);
        Log.ConnectionClosed(endpoint.Logger, connection.Id, outcome, duration);
        endpoint.Metrics.ConnectionClosed(endpoint.Name, outcome, duration, countedActive);
        _registry.Remove(connection);
    }

    /// <summary>
    /// Whether message <paramref name="number"/> has more frames than MaxFragmentsPerMessage. Exact where the transport
    /// is seen: its frame headers are counted as the platform reads them. Otherwise (a server that brings its own
    /// WebSocket, such as TestHost) it counts the frame ends the receive results reveal, <paramref name="frameEnded"/>,
    /// in <paramref name="frameEnds"/>.
    /// </summary>
    private bool HasTooManyFragments(WebSocketConnection connection, long number, bool frameEnded, ref int frameEnds)
    {
        if (connection.Transport is { } transport)
        {
            var over = transport.FirstMessageOverFragmentLimit;
            return over != 0 && over <= number;
        }

        return frameEnded && ++frameEnds >= _endpoint.Settings.MaxFragmentsPerMessage;
    }

    /// <summary>
    /// The platform validates text as it arrives, but skips the end-of-message check (no sequence left incomplete) when
    /// the final fragment is empty: an empty last frame after "...\xE2\x82" would pass. Only then is it checked here.
    /// </summary>
    private static bool HasIncompleteUtf8Tail(WebSocketMessageType type, ValueWebSocketReceiveResult last, byte[] buffer, int length) =>
        type == WebSocketMessageType.Text && last.Count == 0 && length > 0 && !Utf8.IsValid(buffer.AsSpan(0, length));

    /// <summary>Receives into a 1-byte probe once the message has MaxMessageSize bytes: any byte more makes it too big.</summary>
    private async ValueTask<ValueWebSocketReceiveResult> ReceivePastLimitAsync(WebSocket socket)
    {
        var probe = _endpoint.Pool.Rent(1);
        try
        {
            return await socket.ReceiveAsync(probe.AsMemory(0, 1), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _endpoint.Pool.Return(probe);
        }
    }

    /// <summary>Moves the <paramref name="length"/> bytes received into a pooled buffer twice as big (at most MaxMessageSize) and returns the old one.</summary>
    private byte[] Grow(byte[] buffer, int length)
    {
        var bigger = _endpoint.Pool.Rent((int)Math.Min(2L * buffer.Length, _endpoint.Settings.MaxMessageSize));
        buffer.AsSpan(0, length).CopyTo(bigger);
        _endpoint.Pool.Return(buffer);
        return bigger;
    }

    private void ReturnBuffer(byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            _endpoint.Pool.Return(buffer);
        }
    }

    /// <summary>A message as far as it was assembled: its type, its pooled buffer (empty when none was rented), its length, and how assembly ended.</summary>
    private readonly struct AssembledMessage(WebSocketMessageType type, byte[] buffer, int length, Assembly result)
    {
        public WebSocketMessageType Type { get; } = type;

        public byte[] Buffer { get; } = buffer;

        public int Length { get; } = length;

        public Assembly Result { get; } = result;
    }
}
