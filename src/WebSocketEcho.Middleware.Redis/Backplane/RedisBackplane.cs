using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The Redis backplane: publishes pushes for the other instances (<see cref="PublishAsync"/>), receives theirs, relays
/// group changes to the instance holding a connection, and follows this instance's interests with its subscriptions.
/// It never throws because Redis is unreachable and never blocks startup: it connects in the background, buffers
/// (bounded, in order) while Redis is down, reconnects by itself, and counts everything it could not deliver.
/// </summary>
internal sealed partial class RedisBackplane : WebSocketBackplane, IBackplaneGauges, IAsyncDisposable
{
    private static readonly TimeSpan s_logInterval = TimeSpan.FromSeconds(10);

    private readonly RedisBackplaneOptions _options;
    private readonly ConfigurationOptions _configuration;
    private readonly ChannelNames _channels;
    private readonly Outbox _outbox;
    private readonly Subscriptions _subscriptions;
    private readonly PendingGroupChanges _groupChanges = new();
    private readonly RedisBackplaneMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LogThrottle _dropLog;
    private readonly LogThrottle _failureLog;
    private readonly LogThrottle _skipLog;
    private readonly LogThrottle _groupLog;
    private readonly CancellationTokenSource _stopping = new();
    private volatile BackplaneReceiver? _receiver;
    private byte[] _instanceIdUtf8 = [];
    private long _sequence;
    private int _disposed;

    public RedisBackplane(IOptions<RedisBackplaneOptions> options, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _configuration = ConnectionOptionsFactory.Create(_options);
        Endpoints = string.Join(", ", _configuration.EndPoints.Select(FormatEndPoint));
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(RedisLog.Category);
        _channels = new ChannelNames(_options.ChannelPrefix);
        _outbox = new Outbox(_options, _time);
        _metrics = new RedisBackplaneMetrics(meterFactory, this);
        _dropLog = new LogThrottle(_time, s_logInterval);
        _failureLog = new LogThrottle(_time, s_logInterval);
        _skipLog = new LogThrottle(_time, s_logInterval);
        _groupLog = new LogThrottle(_time, s_logInterval);
        _subscriptions = new Subscriptions(OnMessageAsync, _logger, new LogThrottle(_time, s_logInterval));
        _since = _time.GetUtcNow();
        _problem = "not connected yet";
    }

    /// <summary>Gets the Redis endpoints, for logs and the health check (never the configuration string, which may hold a password).</summary>
    public string Endpoints { get; }

    public bool IsConnected => _outbox.Mode is OutboxMode.Up or OutboxMode.Recovering;

    public int BufferedMessages => _outbox.Count;

    public long BufferedBytes => _outbox.Bytes;

    public int Subscriptions => _subscriptions.Count;

    public override ValueTask<BackplaneDelivery> PublishAsync(BackplaneMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        var receiver = _receiver ?? throw new InvalidOperationException("The backplane has not been started.");

        var sequence = (ulong)Interlocked.Increment(ref _sequence);
        var entries = MessageRoutes.Build(message, receiver.InstanceId, sequence, _channels);
        if (entries.Length == 0)
        {
            return ValueTask.FromResult(BackplaneDelivery.None);
        }

        var admission = _outbox.Enqueue(entries, out var waiter);
        Wake();
        switch (admission)
        {
            case Admission.Waiting:
                var published = waiter!.Task;
                return new ValueTask<BackplaneDelivery>(cancellationToken.CanBeCanceled ? published.WaitAsync(cancellationToken) : published);
            case Admission.Buffered:
                _metrics.Buffered(entries.Length);
                return ValueTask.FromResult(BackplaneDelivery.Buffered);
            default:
                Dropped(entries.Length, admission == Admission.Full ? Reasons.BufferFull : Reasons.Stopped);
                return ValueTask.FromResult(BackplaneDelivery.Dropped);
        }
    }

    public override async ValueTask<bool> ChangeGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        ArgumentException.ThrowIfNullOrEmpty(groupName);
        cancellationToken.ThrowIfCancellationRequested();
        if (BackplaneReceiver.GetInstanceId(connectionId) is not { } instance || _receiver is not { } receiver)
        {
            return false;
        }

        if (_subscriber is not { } subscriber || !IsConnected)
        {
            return GroupChangeFailed(Reasons.Unreachable, instance, connectionId, "Redis is unreachable");
        }

        var (requestId, answer) = _groupChanges.Register();
        try
        {
            var request = new GroupChangeRequest(receiver.InstanceId, requestId, scope, connectionId, groupName, join);
            long listeners;
            try
            {
                listeners = await subscriber.PublishAsync(_channels.Instance(instance), request.Encode()).ConfigureAwait(false);
            }
            catch (Exception ex) when (Redis.Subscriptions.IsRedisFailure(ex))
            {
                return GroupChangeFailed(Reasons.Unreachable, instance, connectionId, ex.Message);
            }

            if (listeners == 0)
            {
                return GroupChangeFailed(Reasons.Unreachable, instance, connectionId, "the instance is not listening (stopped, or not connected to Redis)");
            }

            try
            {
                return await answer.WaitAsync(_options.GroupChangeTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _metrics.GroupChangeFailed(Reasons.Timeout);
                RedisLog.GroupChangeUnanswered(_logger, instance, _options.GroupChangeTimeout, connectionId, join ? "joined" : "left", groupName);
                return false;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return GroupChangeFailed(Reasons.Unreachable, instance, connectionId, "Redis was lost before the answer arrived");
            }
        }
        finally
        {
            _groupChanges.Forget(requestId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await StopLinkAsync().ConfigureAwait(false);
        _groupChanges.CancelAll();
        _stopping.Dispose();
    }

    internal BackplaneStatus GetStatus()
    {
        lock (_statusLock)
        {
            return new BackplaneStatus(
                IsConnected,
                _since,
                _problem,
                Endpoints,
                _receiver?.InstanceId,
                _outbox.Count,
                _outbox.Bytes,
                _metrics.PublishedTotal,
                _metrics.ReceivedTotal,
                _metrics.BufferedTotal,
                _metrics.DroppedTotal,
                _metrics.SkippedTotal,
                _metrics.PublishFailuresTotal,
                _metrics.ReconnectsTotal);
        }
    }

    protected override void Start(BackplaneReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        _instanceIdUtf8 = System.Text.Encoding.UTF8.GetBytes(receiver.InstanceId);
        _receiver = receiver;
        EnsureRunning();
        Wake();
    }

    protected override ValueTask OnInterestAddedAsync(string scope, PushTargetKind kind, string key, CancellationToken cancellationToken) =>
        FollowInterestAsync(scope, kind, key, cancellationToken);

    protected override ValueTask OnInterestRemovedAsync(string scope, PushTargetKind kind, string key, CancellationToken cancellationToken) =>
        FollowInterestAsync(scope, kind, key, cancellationToken);

    private static string FormatEndPoint(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "?",
    };

    /// <summary>Subscribes to or unsubscribes from the interest's channel, whichever the instance's interests say now.</summary>
    private ValueTask FollowInterestAsync(string scope, PushTargetKind kind, string key, CancellationToken cancellationToken)
    {
        if (_receiver is not { } receiver || kind is not (PushTargetKind.All or PushTargetKind.Groups or PushTargetKind.Users))
        {
            return ValueTask.CompletedTask;
        }

        return _subscriptions.EnsureAsync(_channels.For(scope, kind, key), () => receiver.HasLocalInterest(scope, kind, key), _subscriber, cancellationToken);
    }

    private IEnumerable<(RedisChannel Channel, Func<bool> IsWanted)> WantedChannels()
    {
        if (_receiver is not { } receiver)
        {
            yield break;
        }

        yield return (_channels.Instance(receiver.InstanceId), () => !_stopping.IsCancellationRequested);
        foreach (var (scope, kind, key) in receiver.GetLocalInterests())
        {
            yield return (_channels.For(scope, kind, key), () => receiver.HasLocalInterest(scope, kind, key));
        }
    }

    private bool GroupChangeFailed(string reason, string instance, string connectionId, string detail)
    {
        _metrics.GroupChangeFailed(reason);
        if (_groupLog.ShouldLog(1, out _))
        {
            RedisLog.GroupChangeUnreachable(_logger, instance, connectionId, detail);
        }

        return false;
    }

    private void Dropped(int count, string reason)
    {
        _metrics.Dropped(count, reason);
        if (_dropLog.ShouldLog(count, out var occurrences))
        {
            RedisLog.MessagesDropped(_logger, occurrences, reason);
        }
    }
}
