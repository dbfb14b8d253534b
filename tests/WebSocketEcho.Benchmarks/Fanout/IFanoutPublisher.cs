namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>How a fan-out server publishes one message: to every connection, or to every member of one group.</summary>
internal interface IFanoutPublisher
{
    /// <summary>Sends <paramref name="text"/> to every connection; completes as the product's own publish call does.</summary>
    ValueTask ToAllAsync(string text);

    /// <summary>Sends <paramref name="text"/> to every member of <paramref name="group"/>.</summary>
    ValueTask ToGroupAsync(string group, string text);
}
