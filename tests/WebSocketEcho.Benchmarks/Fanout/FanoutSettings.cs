namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>
/// The settings both fan-out servers run with, in one place: the servers apply them and the report prints them.
/// Where the two products have the same knob, it gets the same value; the rest keep their defaults.
/// </summary>
internal static class FanoutSettings
{
    /// <summary>The WebSocket path of both servers.</summary>
    public const string Path = "/fanout";

    /// <summary>The SignalR method the client receives messages as.</summary>
    public const string Method = "m";

    /// <summary>What each server tells a connection once it has joined its groups.</summary>
    public const string Ready = "ready";

    /// <summary>Bytes allowed to wait for one connection before the server pushes back (SignalR) or closes it (middleware).</summary>
    public const long MaxPendingBytes = 1024 * 1024;

    /// <summary>How long one send may take before the connection is given up.</summary>
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How often the server pings an otherwise quiet connection.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    /// <summary>How long the server waits for a client's message or pong before dropping it.</summary>
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How often the SignalR load client sends its hub ping (the SignalR client's own default).</summary>
    public static readonly TimeSpan SignalRClientPingInterval = TimeSpan.FromSeconds(15);

    /// <summary>The close handshake's bound (the default of both).</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Room for every connection of the largest run.</summary>
    public const int MaxConnections = 20_000;

    /// <summary>The settings, one line each, for the report.</summary>
    public static IReadOnlyList<string> Describe() =>
    [
        "Both: `WebApplication.CreateSlimBuilder`, minimum log level Warning, `Microsoft.AspNetCore.Hosting.Diagnostics` off, Kestrel's socket transport with its defaults (plus what the runtime configuration sets for both), Release, the same process image (this benchmark app, modes `fanout-server --kind middleware|signalr`), the same runtimeconfig (Server GC requested, which one core turns into workstation GC; invariant globalization).",
        "Both: the publisher is `POST /publish` on the server itself; it builds each message as a `string` (`FanoutPayload.Create`: sequence, `Stopwatch.GetTimestamp()`, padding) and awaits each publish before the next.",
        "Middleware: `services.AddWebSocketHandler<FanoutHandler>()`, `app.UseWebSocketHandler<FanoutHandler>(\"/fanout\")`; publish `await push.All.SendTextAsync(text)` (returns when the message is queued on every connection's single writer); groups `await push.AddToGroupAsync(connection.Id, g)` in `OnConnectedAsync`. Options: defaults (ReceiveBufferSize 4 KiB with the zero-byte wait, KeepAliveInterval 30 s, KeepAliveTimeout 30 s, CloseTimeout 5 s, SendTimeout 30 s, MaxPendingSendBytes 1 MiB, no compression) except MaxConnections 20,000.",
        "SignalR: `services.AddSignalR()`, `app.MapHub<FanoutHub>(\"/fanout\")`, JSON hub protocol, no Redis; publish `await hubContext.Clients.All.SendAsync(\"m\", text)` (returns when the message is written to every connection's pipe, waiting where a pipe is full); groups `await Groups.AddToGroupAsync(Context.ConnectionId, g)` in `OnConnectedAsync`. Hub options: KeepAliveInterval 30 s (default 15 s; the same as the middleware's ping interval), ClientTimeoutInterval 60 s (default 30 s; 2x keep-alive, and the load client pings every 15 s like SignalR's own client), EnableDetailedErrors off, everything else default (no stateful reconnect, MaximumReceiveMessageSize 32 KiB). Dispatcher options: Transports WebSockets only, ApplicationMaxBufferSize 1 MiB (default 64 KiB; the same bound as the middleware's MaxPendingSendBytes), TransportSendTimeout 30 s (default 10 s; the middleware's SendTimeout), WebSockets.CloseTimeout 5 s (default).",
        "Clients: raw sockets in the runner process (the other core), socket completions inline, 8 KiB receive buffer per connection; SignalR clients skip negotiation (WebSocket straight to `/fanout`, the SignalR client's `SkipNegotiation`), send the handshake `{\"protocol\":\"json\",\"version\":1}` + 0x1E and read `{}` + 0x1E, then read invocation records; both kinds answer WebSocket pings. Every message is checked: length, sequence (exactly the next one for that connection: a lost, duplicated or out-of-order message is an error), the padding byte for byte.",
    ];
}
