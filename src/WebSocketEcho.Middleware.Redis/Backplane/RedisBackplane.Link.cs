using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// The backplane's link to Redis: one background loop connects (never blocking startup), watches the connection,
/// re-subscribes after a reconnect, and is the only publisher of the outbox, so messages leave in the order they came.
/// </summary>
internal sealed partial class RedisBackplane
{
    private const int BatchSize = 256;
    private static readonly TimeSpan s_checkInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_connectRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_stopFlushTimeout = TimeSpan.FromSeconds(2);

    private readonly Lock _statusLock = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly List<OutboxEntry> _batch = new(BatchSize);
    private readonly Task<long>[] _publishes = new Task<long>[BatchSize];
    private DateTimeOffset _since;
    private string? _problem;
    private bool _everConnected;
    private volatile string? _lastFailure;
    private volatile ConnectionMultiplexer? _multiplexer;
    private volatile ISubscriber? _subscriber;
    private Task? _link;
    private int _started;

    /// <summary>Starts the background loop once (from <c>Start</c>, or from the hosted service at app start, whichever comes first).</summary>
    internal void EnsureRunning()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0 && !_stopping.IsCancellationRequested)
        {
            RedisLog.Connecting(_logger, Endpoints, _options.ChannelPrefix);
            _link = Task.Run(() => RunLinkAsync(_stopping.Token));
        }
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller woke the loop at the same moment: once is enough.
            }
        }
    }

    private async Task RunLinkAsync(CancellationToken stopping)
    {
        var multiplexer = await ConnectAsync(stopping).ConfigureAwait(false);
        if (multiplexer is null)
        {
            return;
        }

        multiplexer.ConnectionFailed += (_, e) =>
        {
            _lastFailure = $"{e.FailureType} ({e.ConnectionType} connection): {e.Exception?.Message}";
            Wake();
        };
        multiplexer.ConnectionRestored += (_, _) => Wake();
        _subscriber = multiplexer.GetSubscriber();
        _multiplexer = multiplexer;

        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await StepAsync(multiplexer, stopping).ConfigureAwait(false);
                await _wake.WaitAsync(s_checkInterval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Defensive: the loop is the backplane's only publisher and must outlive any surprise.
                RedisLog.HandlingFailed(_logger, ex, "(link)");
                await Task.Delay(s_checkInterval, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Creates the multiplexer; with AbortOnConnectFail off it returns even while Redis is down, and reconnects by itself.</summary>
    private async Task<ConnectionMultiplexer?> ConnectAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                return await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                SetProblem(ex.Message);
                RedisLog.ConnectFailed(_logger, ex.Message, s_connectRetryDelay);
            }

            try
            {
                await Task.Delay(s_connectRetryDelay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return null;
    }

    /// <summary>One look at the link: follow it down or up, retry failed subscriptions, publish what waits.</summary>
    private async Task StepAsync(ConnectionMultiplexer multiplexer, CancellationToken stopping)
    {
        if (!multiplexer.IsConnected)
        {
            GoDown(_lastFailure ?? "the connection to Redis is not established");
            return;
        }

        if (_outbox.Mode == OutboxMode.Down)
        {
            await GoUpAsync(stopping).ConfigureAwait(false);
        }
        else if (_subscriptions.TakeRetryNeeded())
        {
            await _subscriptions.ReconcileAsync(WantedChannels(), _subscriber!, stopping).ConfigureAwait(false);
        }

        var recovering = _outbox.Mode == OutboxMode.Recovering;
        var flushed = await DrainAsync(stopping).ConfigureAwait(false);
        if (flushed < 0)
        {
            GoDown(_lastFailure ?? "publishing to Redis failed");
        }
        else if (recovering)
        {
            _outbox.SetMode(OutboxMode.Up);
            RedisLog.BufferFlushed(_logger, flushed);
        }
    }

    private async Task GoUpAsync(CancellationToken stopping)
    {
        bool wasConnected;
        TimeSpan outage;
        lock (_statusLock)
        {
            var now = _time.GetUtcNow();
            wasConnected = _everConnected;
            outage = now - _since;
            _everConnected = true;
            _since = now;
            _problem = null;
        }

        _lastFailure = null;
        var buffered = _outbox.Count;
        var flushDelay = buffered > 0 ? _options.ReconnectFlushDelay : TimeSpan.Zero;
        if (wasConnected)
        {
            _metrics.Reconnected();
            RedisLog.Reconnected(_logger, Endpoints, outage, buffered, flushDelay);
        }
        else
        {
            RedisLog.Connected(_logger, Endpoints);
        }

        _outbox.SetMode(OutboxMode.Recovering);
        await _subscriptions.ReconcileAsync(WantedChannels(), _subscriber!, stopping).ConfigureAwait(false);
        if (flushDelay > TimeSpan.Zero)
        {
            // Give the other instances the moment they need to get Redis back and subscribe again, so the buffered
            // messages reach them too; new messages meanwhile queue behind the buffered ones.
            await Task.Delay(flushDelay, _time, stopping).ConfigureAwait(false);
        }
    }

    private void GoDown(string reason)
    {
        SetProblem(reason);
        if (_outbox.Mode is OutboxMode.Down or OutboxMode.Stopped)
        {
            return;
        }

        var waiting = _outbox.SetMode(OutboxMode.Down);
        _metrics.Buffered(waiting);
        _groupChanges.CancelAll();
        RedisLog.ConnectionLost(_logger, Endpoints, reason, _options.MaxBufferedMessages, _options.MaxBufferedBytes, _options.MaxBufferAge);
    }

    /// <summary>Records why Redis is unreachable; the time it became so is kept from the first report.</summary>
    private void SetProblem(string problem)
    {
        lock (_statusLock)
        {
            if (_problem is null)
            {
                _since = _time.GetUtcNow();
            }

            _problem = problem;
        }
    }

    /// <summary>
    /// Publishes the outbox from its head, a batch at a time (pipelined, in order), until it is empty. A frame leaves
    /// the outbox only when Redis took it; after a failure the frame and everything behind it stay, to be published again
    /// (receivers skip any that had arrived after all). Returns the number published, or -1 when Redis failed.
    /// </summary>
    private async Task<long> DrainAsync(CancellationToken stopping)
    {
        var subscriber = _subscriber!;
        long total = 0;
        while (!stopping.IsCancellationRequested)
        {
            _batch.Clear();
            var expired = _outbox.PeekBatch(_batch, BatchSize);
            if (expired > 0)
            {
                Dropped(expired, Reasons.Expired);
            }

            if (_batch.Count == 0)
            {
                return total;
            }

            var count = _batch.Count;
            for (var i = 0; i < count; i++)
            {
                try
                {
                    _publishes[i] = subscriber.PublishAsync(_batch[i].Channel, _batch[i].Frame);
                }
                catch (Exception ex) when (Redis.Subscriptions.IsRedisFailure(ex))
                {
                    _publishes[i] = Task.FromException<long>(ex);
                }
            }

            // Await every publish (none is left unobserved); the ones before the first failure are done.
            var published = 0;
            Exception? failure = null;
            for (var i = 0; i < count; i++)
            {
                try
                {
                    await _publishes[i].ConfigureAwait(false);
                    published += failure is null ? 1 : 0;
                }
                catch (Exception ex) when (Redis.Subscriptions.IsRedisFailure(ex))
                {
                    failure ??= ex;
                }

                _publishes[i] = null!;
            }

            _outbox.RemoveHead(published, BackplaneDelivery.Published);
            _metrics.Published(published);
            total += published;
            if (failure is null)
            {
                continue;
            }

            if (failure is RedisServerException)
            {
                // Redis answered with an error (out of memory, no permission...): publishing it again would not help.
                _outbox.RemoveHead(1, BackplaneDelivery.Dropped);
                Dropped(1, Reasons.Rejected);
                continue;
            }

            _metrics.PublishFailed();
            _lastFailure = failure.Message;
            if (_failureLog.ShouldLog(1, out var failures))
            {
                RedisLog.PublishFailed(_logger, failures, failure.Message);
            }

            return -1;
        }

        return total;
    }

    /// <summary>Stops the loop, publishes what waits if Redis is there (bounded), drops and counts the rest, closes the connection.</summary>
    private async Task StopLinkAsync()
    {
        if (_link is { } link)
        {
            await link.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_multiplexer is { } multiplexer)
        {
            if (multiplexer.IsConnected && _outbox.Count > 0)
            {
                using var timeout = new CancellationTokenSource(s_stopFlushTimeout);
                try
                {
                    await DrainAsync(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // What is left is counted below.
                }
            }
        }

        var left = _outbox.Stop();
        if (left > 0)
        {
            _metrics.Dropped(left, Reasons.Stopped);
            RedisLog.StoppedWithBuffered(_logger, left);
        }

        if (_multiplexer is { } closing)
        {
            await closing.DisposeAsync().ConfigureAwait(false);
        }
    }
}
