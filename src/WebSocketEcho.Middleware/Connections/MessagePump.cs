using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace WebSocketEcho.Middleware;

/// <summary>
/// The receive loop of every connection of one endpoint. Per connection: OnConnected, then wait for data with a
/// zero-byte receive (an idle connection holds no buffer), rent a pooled buffer, receive frames until the end of the
/// message (growing the buffer up to MaxMessageSize, counting fragments), hand the whole message to the handler,
/// return the buffer; finally finish the close handshake, end the transport and call OnDisconnected exactly once.
/// </summary>
internal sealed class MessagePump
{
    /// <summary>The most bytes (at least; MaxMessageSize if larger) discarded while waiting for the peer's close frame.</summary>
    private const int MaxDiscardedAfterClose = 64 * 1024 * 1024;

    private readonly IMessageHandler _handler;
    private readonly EndpointContext _endpoint;
    private readonly ConnectionRegistry _registry;

    public MessagePump(IMessageHandler handler, EndpointContext endpoint, ConnectionRegistry registry)
    {
        _handler = handler;
        _endpoint = endpoint;
        _registry = registry;
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
            connection.CloseForShutdown();
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
                await connection.OnHandlerFailedAsync(ex, callback).ConfigureAwait(false);
            }

            if (connected)
            {
                // The idle wait is here rather than in a nested async method, so an idle connection keeps one small
                // state machine alive (and no buffer): a zero-byte receive waits for the next frame.
                var socket = connection.Socket;
                while (!connection.CloseStarted)
                {
                    ValueWebSocketReceiveResult first;
                    try
                    {
                        first = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        connection.OnReceiveFailed(ex);
                        break;
                    }

                    if (!await ReceiveMessageAsync(connection, first).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }

            await FinishCloseHandshakeAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Defensive: nothing may escape into the host. Record it as the reason if none was.
            connection.OnReceiveFailed(ex);
        }
        finally
        {
            await connection.EndAsync().ConfigureAwait(false);
            endpoint.Push.Unregister(connection);
            var outcome = connection.Outcome;
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
    }

    /// <summary>
    /// Receives the rest of the message whose first frame <paramref name="result"/> announced (rent a pooled buffer,
    /// receive until the end of the message, within the limits) and hands it to the handler. Returns false when the
    /// connection is ending. Pooled state machine: no allocation per message, even when it has to wait.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReceiveMessageAsync(WebSocketConnection connection, ValueWebSocketReceiveResult result)
    {
        var socket = connection.Socket;
        var settings = _endpoint.Settings;
        var pool = _endpoint.Pool;

        if (result.MessageType == WebSocketMessageType.Close)
        {
            await connection.OnPeerCloseAsync().ConfigureAwait(false);
            return false;
        }

        connection.Touch();
        if (connection.CloseStarted)
        {
            return false;
        }

        var type = result.MessageType;
        var message = connection.StartMessage();
        var buffer = Array.Empty<byte>();
        var length = 0;
        var outcome = ReceiveOutcome.Complete;
        if (!result.EndOfMessage)
        {
            buffer = pool.Rent(settings.ReceiveBufferSize);
            var frameEnds = 0;
            try
            {
                while (true)
                {
                    var capacity = Math.Min(buffer.Length, settings.MaxMessageSize);
                    if (length == capacity)
                    {
                        if (capacity == settings.MaxMessageSize)
                        {
                            // Full at the limit: the message is too big unless only empty frames remain.
                            var probe = pool.Rent(1);
                            try
                            {
                                result = await socket.ReceiveAsync(probe.AsMemory(0, 1), CancellationToken.None).ConfigureAwait(false);
                            }
                            finally
                            {
                                pool.Return(probe);
                            }

                            if (result.MessageType == WebSocketMessageType.Close)
                            {
                                outcome = ReceiveOutcome.PeerClosed;
                                break;
                            }

                            if (result.Count > 0)
                            {
                                outcome = ReceiveOutcome.TooBig;
                                break;
                            }

                            // An empty frame: its end is seen.
                            if (connection.HasTooManyFragments(message, frameEnded: !result.EndOfMessage, ref frameEnds))
                            {
                                outcome = ReceiveOutcome.TooManyFragments;
                                break;
                            }

                            if (result.EndOfMessage)
                            {
                                break;
                            }

                            continue;
                        }

                        var bigger = pool.Rent((int)Math.Min(2L * capacity, settings.MaxMessageSize));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        pool.Return(buffer);
                        buffer = bigger;
                        capacity = Math.Min(buffer.Length, settings.MaxMessageSize);
                    }

                    var requested = capacity - length;
                    result = await socket.ReceiveAsync(buffer.AsMemory(length, requested), CancellationToken.None).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        outcome = ReceiveOutcome.PeerClosed;
                        break;
                    }

                    length += result.Count;

                    // Without the transport's count: the platform returns early only at the end of a frame.
                    if (connection.HasTooManyFragments(message, frameEnded: !result.EndOfMessage && result.Count < requested, ref frameEnds))
                    {
                        outcome = ReceiveOutcome.TooManyFragments;
                        break;
                    }

                    if (result.EndOfMessage)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex)
            {
                pool.Return(buffer);
                connection.OnReceiveFailed(ex);
                return false;
            }
        }

        // The platform validates text as it arrives, but skips the end-of-message check (no sequence left incomplete)
        // when the final fragment is empty: an empty last frame after "...\xE2\x82" would pass. Only then check it here.
        if (outcome == ReceiveOutcome.Complete && type == WebSocketMessageType.Text && result.Count == 0 && length > 0
            && !Utf8.IsValid(buffer.AsSpan(0, length)))
        {
            outcome = ReceiveOutcome.InvalidUtf8;
        }

        if (outcome != ReceiveOutcome.Complete)
        {
            if (buffer.Length > 0)
            {
                pool.Return(buffer);
            }

            await OnMessageRefusedAsync(connection, outcome).ConfigureAwait(false);
            return false;
        }

        _endpoint.Metrics.MessageReceived(_endpoint.Name, type, length);
        Exception? failure = null;
        try
        {
            await TracedCallbacks.OnMessageAsync(_handler, connection, new WebSocketMessage(type, buffer.AsMemory(0, length)), _endpoint).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            if (buffer.Length > 0)
            {
                pool.Return(buffer);
            }
        }

        if (failure is not null)
        {
            await connection.OnHandlerFailedAsync(failure, nameof(IMessageHandler.OnMessageAsync)).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private Task OnMessageRefusedAsync(WebSocketConnection connection, ReceiveOutcome outcome)
    {
        var settings = _endpoint.Settings;
        switch (outcome)
        {
            case ReceiveOutcome.PeerClosed:
                return connection.OnPeerCloseAsync();
            case ReceiveOutcome.InvalidUtf8:
                var error = new WebSocketException(WebSocketError.Faulted, "The text message ends with an incomplete UTF-8 sequence.");
                Log.ProtocolError(_endpoint.Logger, connection.Id, WebSocketCloseStatus.InvalidPayloadData, error);
                return connection.StartCloseAsync(new DisconnectInfo(DisconnectReason.ProtocolError, WebSocketCloseStatus.InvalidPayloadData, "Invalid UTF-8", error));
            case ReceiveOutcome.TooBig:
                Log.MessageTooBig(_endpoint.Logger, connection.Id, settings.MaxMessageSize);
                return connection.StartCloseAsync(new DisconnectInfo(DisconnectReason.MessageTooBig, WebSocketCloseStatus.MessageTooBig, "Message too big", null));
            default:
                Log.TooManyFragments(_endpoint.Logger, connection.Id, settings.MaxFragmentsPerMessage);
                return connection.StartCloseAsync(new DisconnectInfo(DisconnectReason.MessageTooBig, WebSocketCloseStatus.MessageTooBig, "Too many fragments", null));
        }
    }

    /// <summary>
    /// After the server started closing, keep reading (and discarding) until the peer's close frame arrives, so
    /// the server closes TCP only after a complete handshake. The endpoint's heartbeat aborts after CloseTimeout.
    /// Not when the server failed the connection: it lingers instead (<see cref="WebSocketConnection.AwaitsPeerClose"/>).
    /// </summary>
    private async Task FinishCloseHandshakeAsync(WebSocketConnection connection)
    {
        var socket = connection.Socket;
        if (!connection.AwaitsPeerClose)
        {
            return;
        }

        var scratch = _endpoint.Pool.Rent(4096);
        try
        {
            long discarded = 0;
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(scratch, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await connection.OnPeerCloseAsync().ConfigureAwait(false);
                    return;
                }

                // Bound the work a peer can make the server do after it was told to close. Generously: browsers and
                // ClientWebSocket send a whole (oversized) message before they read the 1009, and a reset now would
                // destroy that close frame. The heartbeat's CloseTimeout bounds the time.
                discarded += result.Count;
                if (discarded > Math.Max(_endpoint.Settings.MaxMessageSize, MaxDiscardedAfterClose))
                {
                    socket.Abort();
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            connection.OnReceiveFailed(ex);
        }
        finally
        {
            _endpoint.Pool.Return(scratch);
        }
    }

    private enum ReceiveOutcome
    {
        Complete,
        TooBig,
        TooManyFragments,
        PeerClosed,
        InvalidUtf8,
    }
}
