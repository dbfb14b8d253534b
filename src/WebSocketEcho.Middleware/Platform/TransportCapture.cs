using Microsoft.AspNetCore.Http.Features;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Stands in for the server's upgrade features (HTTP/1.1 <c>Upgrade</c> and HTTP/2 extended CONNECT) during one
/// handshake, so that the platform's WebSocket is created over a <see cref="TransportStream"/>.
/// </summary>
/// <remarks>
/// The platform behaviour worked around: ASP.NET Core's WebSocket middleware creates the WebSocket straight over the
/// upgraded stream and never exposes it
/// (https://github.com/dotnet/aspnetcore/blob/main/src/Middleware/WebSockets/src/WebSocketMiddleware.cs,
/// <c>UpgradeHandshake.AcceptAsync</c>), and the WebSocket does not say which close status it sent when it failed a
/// connection: <c>ManagedWebSocket.CloseWithReceiveErrorAndThrowAsync</c> in
/// https://github.com/dotnet/runtime/blob/main/src/libraries/System.Net.WebSockets/src/System/Net/WebSockets/ManagedWebSocket.cs
/// sends 1002 or 1007 and throws a <c>WebSocketException</c> with the same code (<c>Faulted</c>) for both, while
/// <c>WebSocket.CloseStatus</c> only ever reports the peer's status. Nor does it count frames, linger, or end a pending
/// receive without an abort (https://github.com/dotnet/runtime/issues/44272, open). Capturing the stream gives all of
/// these. Of the runtime gaps, only the pending receive has an issue of its own; the close status sent, the frame count
/// and lingering have none yet.
/// </remarks>
internal sealed class TransportCapture : IHttpUpgradeFeature, IHttpExtendedConnectFeature
{
    private readonly IHttpUpgradeFeature? _upgrade;
    private readonly IHttpExtendedConnectFeature? _connect;
    private readonly int _maxFragmentsPerMessage;

    public TransportCapture(IHttpUpgradeFeature? upgrade, IHttpExtendedConnectFeature? connect, int maxFragmentsPerMessage)
    {
        _upgrade = upgrade;
        _connect = connect;
        _maxFragmentsPerMessage = maxFragmentsPerMessage;
    }

    /// <summary>Gets the transport once the connection has been upgraded.</summary>
    public TransportStream? Transport { get; private set; }

    public bool IsUpgradableRequest => _upgrade?.IsUpgradableRequest ?? false;

    public bool IsExtendedConnect => _connect?.IsExtendedConnect ?? false;

    public string? Protocol => _connect?.Protocol;

    public async Task<Stream> UpgradeAsync()
    {
        var stream = await (_upgrade ?? throw new InvalidOperationException("The request cannot be upgraded.")).UpgradeAsync().ConfigureAwait(false);
        return Transport = new TransportStream(stream, _maxFragmentsPerMessage);
    }

    /// <summary>
    /// After the upgrade: puts the server's own upgrade features back and replaces the platform's handshake feature,
    /// so neither this capture nor the handshake's state stays referenced for the connection's lifetime.
    /// </summary>
    public void Detach(IFeatureCollection features)
    {
        if (_upgrade is not null)
        {
            features.Set(_upgrade);
        }

        if (_connect is not null)
        {
            features.Set(_connect);
        }

        features.Set<IHttpWebSocketFeature>(AcceptedWebSocketFeature.Instance);
    }

    public async ValueTask<Stream> AcceptAsync()
    {
        var stream = await (_connect ?? throw new InvalidOperationException("The request is not an extended CONNECT.")).AcceptAsync().ConfigureAwait(false);
        return Transport = new TransportStream(stream, _maxFragmentsPerMessage);
    }
}
