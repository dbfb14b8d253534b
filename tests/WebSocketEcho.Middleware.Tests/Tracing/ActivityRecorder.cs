using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;

namespace WebSocketEcho.Middleware.Tests.Tracing;

/// <summary>
/// An <see cref="ActivityListener"/> for one test. Listeners are process-wide and tests run in parallel, so it samples
/// in and records only the activities of the test's own trace: the client sends <c>traceparent</c> with the recorder's
/// trace id on its requests, so the upgrade (or push) request's activity continues that trace; the middleware's
/// activities are its children, or roots that link to it (and their children). Everything else is sampled out and ignored.
/// </summary>
internal sealed class ActivityRecorder : IDisposable
{
    public const string HostingSource = "Microsoft.AspNetCore";
    public const string RequestOperation = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ConcurrentDictionary<ActivityTraceId, byte> _traces = new();

    /// <param name="sampleMiddleware">False: the middleware's activities are sampled out (a listener that records nothing of them).</param>
    public ActivityRecorder(bool sampleMiddleware = true)
    {
        TraceId = ActivityTraceId.CreateRandom();
        _traces[TraceId] = 0;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is WebSocketActivitySource.Name or HostingSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                (sampleMiddleware || options.Source.Name == HostingSource) && IsOurs(options.Parent, options.Links)
                    ? ActivitySamplingResult.AllDataAndRecorded
                    : ActivitySamplingResult.None,
            ActivityStarted = activity =>
            {
                // A root linked to the test's trace starts a trace of the test's too (a message's, and what runs under it).
                if (IsOurs(activity.Parent?.Context ?? default, activity.Links))
                {
                    _traces.TryAdd(activity.TraceId, 0);
                }
            },
            ActivityStopped = activity =>
            {
                if (_traces.ContainsKey(activity.TraceId))
                {
                    _stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Gets the test's trace id: the one of the requests the test sends with <see cref="TraceParent"/>.</summary>
    public ActivityTraceId TraceId { get; }

    /// <summary>Gets a W3C <c>traceparent</c> header value in the test's trace (sampled), with a new parent span id.</summary>
    public string TraceParent => $"00-{TraceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";

    /// <summary>Gets every recorded activity that has stopped, in the order they stopped.</summary>
    public IReadOnlyList<Activity> Stopped => [.. _stopped];

    /// <summary>Connects a real client to <paramref name="uri"/> with the test's <c>traceparent</c> on the upgrade request.</summary>
    public async Task<ClientWebSocket> ConnectAsync(Uri uri)
    {
        var client = new ClientWebSocket();
        try
        {
            client.Options.SetRequestHeader("traceparent", TraceParent);
            await client.ConnectAsync(uri, TestContext.Current.CancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Waits until a recorded activity with the operation name <paramref name="operation"/> that matches has stopped.</summary>
    public async Task<Activity> WaitForAsync(string operation, Func<Activity, bool>? match = null)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (true)
        {
            if (_stopped.FirstOrDefault(a => a.OperationName == operation && (match is null || match(a))) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"No {operation} activity stopped within {s_wait}. Recorded: " + string.Join(" | ", _stopped.Select(a => $"{a.OperationName} '{a.DisplayName}'")));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits for the upgrade (or other) request's activity: the hosting activity in the test's trace.</summary>
    public Task<Activity> WaitForRequestAsync(Func<Activity, bool>? match = null) => WaitForAsync(RequestOperation, match);

    public void Dispose() => _listener.Dispose();

    private bool IsOurs(ActivityContext parent, IEnumerable<ActivityLink>? links) =>
        _traces.ContainsKey(parent.TraceId) || (links?.Any(l => l.Context.TraceId == TraceId) ?? false);
}
