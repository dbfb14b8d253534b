using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Every push scope of one app instance, the instance's id, and its backplane. One per app: registered by
/// <c>AddWebSocketPush()</c>, or created for the app's service provider on first use when it was not registered.
/// </summary>
internal sealed class PushHubs
{
    private static readonly ConditionalWeakTable<IServiceProvider, PushHubs> s_unregistered = new();

    private readonly ConcurrentDictionary<string, PushScope> _scopes = new(StringComparer.Ordinal);
    private long _connectionSequence;

    public PushHubs(IServiceProvider services)
    {
        InstanceId = ConnectionIds.NewInstanceId();
        Backplane = services.GetService<WebSocketBackplane>() ?? InProcessBackplane.Instance;
        UserIds = services.GetService<IWebSocketUserIdProvider>() ?? DefaultUserIdProvider.Instance;
        Metrics = WebSocketMetrics.For(services.GetService<IMeterFactory>());
        Logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(Log.Category);
        Backplane.Start(new BackplaneReceiver(this));
    }

    public string InstanceId { get; }

    public WebSocketBackplane Backplane { get; }

    public IWebSocketUserIdProvider UserIds { get; }

    public WebSocketMetrics Metrics { get; }

    public ILogger Logger { get; }

    /// <summary>Gets the app's hubs: the registered ones, or ones made for <paramref name="services"/> on first use.</summary>
    public static PushHubs For(IServiceProvider services) =>
        services.GetService<PushHubs>() ?? s_unregistered.GetValue(services, static provider => new PushHubs(provider));

    /// <summary>Gets the scope of a handler type, creating it on first use.</summary>
    public PushScope GetScope(Type handlerType) => GetScope(ScopeName(handlerType));

    public PushScope GetScope(string name) => _scopes.GetOrAdd(name, static (key, hubs) => new PushScope(key, hubs), this);

    public PushScope? TryGetScope(string name) => _scopes.TryGetValue(name, out var scope) ? scope : null;

    public string NewConnectionId() => ConnectionIds.Create(InstanceId, Interlocked.Increment(ref _connectionSequence));

    public int DeliverFromBackplane(BackplaneMessage message) =>
        TryGetScope(message.Scope) is { } scope ? scope.DeliverFromBackplane(message) : 0;

    public IReadOnlyList<(string Scope, PushTargetKind Kind, string Key)> GetLocalInterests()
    {
        var interests = new List<(string Scope, PushTargetKind Kind, string Key)>();
        foreach (var pair in _scopes)
        {
            pair.Value.CollectInterests(interests);
        }

        return interests;
    }

    /// <summary>Hands a message to the backplane; a backplane that throws (it should not) counts as a drop, never as the caller's failure.</summary>
    public async ValueTask<PushResult> PublishAsync(BackplaneMessage message, int reached, CancellationToken cancellationToken)
    {
        BackplaneDelivery delivery;
        try
        {
            delivery = await Backplane.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.BackplaneFailed(Logger, ex, nameof(WebSocketBackplane.PublishAsync), message.Scope);
            delivery = BackplaneDelivery.Dropped;
        }

        return new PushResult(reached, delivery);
    }

    public async ValueTask<bool> ChangeRemoteGroupAsync(string scope, string connectionId, string groupName, bool join, CancellationToken cancellationToken)
    {
        try
        {
            return await Backplane.ChangeGroupAsync(scope, connectionId, groupName, join, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.BackplaneFailed(Logger, ex, nameof(WebSocketBackplane.ChangeGroupAsync), scope);
            return false;
        }
    }

    /// <summary>
    /// Awaits the backplane's subscription to a key this instance now cares about. A backplane that fails (it should not)
    /// is logged as event 20 and never fails the connection or the group change: delivery on this instance goes on.
    /// </summary>
    public ValueTask AddInterestAsync(string scope, PushTargetKind kind, string key, CancellationToken cancellationToken)
    {
        ValueTask adding;
        try
        {
            adding = Backplane.OnInterestAddedAsync(scope, kind, key, cancellationToken);
        }
        catch (Exception ex)
        {
            Log.BackplaneFailed(Logger, ex, nameof(WebSocketBackplane.OnInterestAddedAsync), scope);
            return default;
        }

        return adding.IsCompletedSuccessfully ? default : ObserveAsync(adding, nameof(WebSocketBackplane.OnInterestAddedAsync), scope);
    }

    /// <summary>Tells the backplane, in the background, that this instance now cares about a key; a failure is logged (event 20), never thrown.</summary>
    public void AddInterestInBackground(string scope, PushTargetKind kind, string key)
    {
        var adding = AddInterestAsync(scope, kind, key, CancellationToken.None);
        if (!adding.IsCompleted)
        {
            _ = adding.AsTask();
        }
    }

    /// <summary>Tells the backplane, in the background, that this instance no longer cares about a key; a failure is logged (event 20), never thrown.</summary>
    public void RemoveInterestInBackground(string scope, PushTargetKind kind, string key)
    {
        ValueTask removing;
        try
        {
            removing = Backplane.OnInterestRemovedAsync(scope, kind, key, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.BackplaneFailed(Logger, ex, nameof(WebSocketBackplane.OnInterestRemovedAsync), scope);
            return;
        }

        if (!removing.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(removing, nameof(WebSocketBackplane.OnInterestRemovedAsync), scope).AsTask();
        }
    }

    internal static string ScopeName(Type handlerType) => handlerType.FullName ?? handlerType.Name;

    private async ValueTask ObserveAsync(ValueTask change, string operation, string scope)
    {
        try
        {
            await change.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Cancellation included: the connection ended, or the caller gave up; the membership stands either way.
            Log.BackplaneFailed(Logger, ex, operation, scope);
        }
    }
}
