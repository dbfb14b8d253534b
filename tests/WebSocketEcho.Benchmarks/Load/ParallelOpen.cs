namespace WebSocketEcho.Benchmarks.Load;

/// <summary>Opens many load connections, 64 handshakes at a time, bounded in time (60 s plus 1 s per 100).</summary>
internal static class ParallelOpen
{
    /// <summary>
    /// Calls <paramref name="open"/> for 0 to <paramref name="count"/> - 1; if any fails or the time runs out, disposes
    /// every connection already opened and throws. <paramref name="open"/> disposes what it opened itself when it fails.
    /// </summary>
    public static async Task<T[]> OpenAsync<T>(int count, Func<int, CancellationToken, Task<T>> open, CancellationToken cancellationToken)
        where T : class, IDisposable
    {
        var opened = new T?[count];
        using var gate = new SemaphoreSlim(64);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60 + (count / 100)));
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(timeout.Token);
            try
            {
                opened[i] = await open(i, timeout.Token);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();

        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            foreach (var connection in opened)
            {
                connection?.Dispose();
            }

            throw;
        }

        return [.. opened.Select(c => c!)];
    }
}
