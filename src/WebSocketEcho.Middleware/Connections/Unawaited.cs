namespace WebSocketEcho.Middleware;

/// <summary>Tasks the connection starts and does not wait for (a close started from a timer or a send): their failures are observed, never thrown.</summary>
internal static class Unawaited
{
    /// <summary>Observes <paramref name="task"/>'s exception, if it ever has one, so it is not reported as unobserved.</summary>
    public static void Observe(Task task)
    {
        if (!task.IsCompleted)
        {
            task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            _ = task.Exception;
        }
    }
}
