using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// What arrives from Redis: each subscribed channel has one reader that handles its frames one at a time, in the order
/// Redis delivered them. A frame this build cannot read is counted and skipped; nothing here throws into the multiplexer.
/// </summary>
internal sealed partial class RedisBackplane
{
    private static readonly TimeSpan s_catchUpLimit = TimeSpan.FromSeconds(2);

    private Task OnMessageAsync(ChannelSubscription subscription, ChannelMessage message)
    {
        try
        {
            var frame = (ReadOnlyMemory<byte>)message.Message;
            if (!WireFormat.TryReadHeader(frame.Span, out var version, out var type))
            {
                Skipped(Reasons.Malformed, subscription);
                return Task.CompletedTask;
            }

            if (version != WireFormat.Version)
            {
                Skipped(Reasons.UnknownVersion, subscription);
                return Task.CompletedTask;
            }

            switch (type)
            {
                case FrameType.Push:
                    OnPush(subscription, frame.Span);
                    break;
                case FrameType.GroupChangeRequest when GroupChangeRequest.TryDecode(frame.Span, out var request):
                    return OnGroupChangeRequestAsync(request!);
                case FrameType.GroupChangeAnswer when GroupChangeAnswer.TryDecode(frame.Span, out var answer):
                    _groupChanges.Complete(answer!.RequestId, answer.Found);
                    break;
                default:
                    Skipped(Reasons.Malformed, subscription);
                    break;
            }
        }
        catch (Exception ex)
        {
            RedisLog.HandlingFailed(_logger, ex, subscription.Channel.ToString());
        }

        return Task.CompletedTask;
    }

    private void OnPush(ChannelSubscription subscription, ReadOnlySpan<byte> frame)
    {
        if (_receiver is not { } receiver)
        {
            return;
        }

        if (PushFrame.IsFrom(frame, _instanceIdUtf8))
        {
            // Our own message, back from Redis: the core delivered it here before publishing it.
            return;
        }

        if (!PushFrame.TryDecode(frame, out var push))
        {
            Skipped(Reasons.Malformed, subscription);
            return;
        }

        if (!subscription.Sequences.TryAdvance(push!.Publisher, push.Sequence))
        {
            // Published again after a failure that hid its first success: delivered already.
            _metrics.Skipped(Reasons.Duplicate);
            return;
        }

        receiver.Deliver(push.Message);
        _metrics.Received();
    }

    /// <summary>Applies another instance's group change to one of our connections and answers on its channel.</summary>
    private async Task OnGroupChangeRequestAsync(GroupChangeRequest request)
    {
        if (_receiver is not { } receiver)
        {
            return;
        }

        // The requester's pushes to the group published before this request are handled first (see CatchUpAsync).
        await _subscriptions.CatchUpAsync(_channels.Group(request.Scope, request.Group), s_catchUpLimit).ConfigureAwait(false);
        bool found;
        try
        {
            found = await receiver.ChangeGroupAsync(request.Scope, request.ConnectionId, request.Group, request.Join, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (_subscriber is not { } subscriber)
        {
            return;
        }

        try
        {
            var answer = new GroupChangeAnswer(receiver.InstanceId, request.RequestId, found);
            await subscriber.PublishAsync(_channels.Instance(request.Requester), answer.Encode()).ConfigureAwait(false);
        }
        catch (Exception ex) when (Redis.Subscriptions.IsRedisFailure(ex))
        {
            // The requester times out and reports the change as not made; Redis being down is reported by the link.
        }
    }

    private void Skipped(string reason, ChannelSubscription subscription)
    {
        _metrics.Skipped(reason);
        if (_skipLog.ShouldLog(1, out var occurrences))
        {
            RedisLog.MessageSkipped(_logger, occurrences, reason, subscription.Channel.ToString());
        }
    }
}
