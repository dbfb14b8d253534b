namespace WebSocketEcho.Middleware.Redis;

/// <summary>What the backplane's gauges read.</summary>
internal interface IBackplaneGauges
{
    bool IsConnected { get; }

    int BufferedMessages { get; }

    long BufferedBytes { get; }

    int Subscriptions { get; }
}
