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

    /// <summary>Lets a backplane's subscription change run in the background; a failure is logged, never thrown.</summary>
    public void ObserveInterest(ValueTask change)
    {
        if (change.IsCompletedSuccessfully)
        {
            change.GetAwaiter().GetResult();
            return;
        }

        _ = ObserveInterestAsync(change);
    }

    internal static string ScopeName(Type handlerType) => handlerType.FullName ?? handlerType.Name;

    private async Task ObserveInterestAsync(ValueTask change)
    {
        try
        {
            await change.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.BackplaneFailed(Logger, ex, "subscription change", "(any)");
        }
    }
}
