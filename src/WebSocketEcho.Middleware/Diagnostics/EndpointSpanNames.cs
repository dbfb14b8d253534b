namespace WebSocketEcho.Middleware;

/// <summary>
/// The display names of an endpoint's activities, "{callback} {endpoint}" (e.g. <c>OnMessageAsync /echo</c>), made
/// once per endpoint so that tracing a message does not build a string.
/// </summary>
internal sealed class EndpointSpanNames
{
    public EndpointSpanNames(string endpoint)
    {
        Connected = nameof(IMessageHandler.OnConnectedAsync) + " " + endpoint;
        Message = nameof(IMessageHandler.OnMessageAsync) + " " + endpoint;
        Disconnected = nameof(IMessageHandler.OnDisconnectedAsync) + " " + endpoint;
    }

    public string Connected { get; }

    public string Message { get; }

    public string Disconnected { get; }
}
