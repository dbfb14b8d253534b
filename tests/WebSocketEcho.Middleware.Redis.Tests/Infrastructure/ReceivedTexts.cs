using System.Net.WebSockets;

namespace WebSocketEcho.Middleware.Redis.Tests.Infrastructure;

/// <summary>Everything a client received, in order, collected in the background (a receive is never cancelled: that would abort the socket).</summary>
internal sealed class ReceivedTexts
{
    /// <summary>Collects everything a client receives, in order, in the background.</summary>
    public static ReceivedTexts Collect(ChatClient client)
    {
        var texts = new ReceivedTexts();
        _ = Task.Run(async () =>
        {
            while (client.Socket.State == WebSocketState.Open)
            {
                try
                {
                    texts.Add(await client.ReceiveTextAsync(TimeSpan.FromMinutes(2)));
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
                {
                    return;
                }
            }
        });
        return texts;
    }

    private readonly List<string> _texts = [];

    public void Add(string text)
    {
        lock (_texts)
        {
            _texts.Add(text);
        }
    }

    public int Count
    {
        get
        {
            lock (_texts)
            {
                return _texts.Count;
            }
        }
    }

    public bool Contains(string text)
    {
        lock (_texts)
        {
            return _texts.Contains(text);
        }
    }

    public List<string> Snapshot()
    {
        lock (_texts)
        {
            return [.. _texts];
        }
    }
}
