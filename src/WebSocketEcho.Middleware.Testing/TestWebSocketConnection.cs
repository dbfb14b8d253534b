using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace WebSocketEcho.Middleware.Testing;

/// <summary>
/// An <see cref="IWebSocketConnection"/> for unit tests of a handler without a server: it records every message the
/// handler sends (in order) and how the handler closed or aborted it, and lets the test end it as the peer would.
/// The test calls the handler's methods itself.
/// </summary>
/// <remarks>
/// <para>
/// It keeps the rules of the real connection that a handler can trip over: sends after the connection ended throw
/// <see cref="WebSocketException"/>, text must be valid UTF-8, <see cref="CloseAsync"/> accepts only statuses an endpoint
/// may send, the first close wins, and reasons are cut to 123 UTF-8 bytes. It plays a peer that answers a close at
/// once, so <see cref="ConnectionClosed"/> fires as soon as the handler closes or aborts.
/// </para>
/// <para>
/// What it does not do: limits (message size, pending send bytes, send timeout), keep-alive, and calling the handler.
/// For those, test through <see cref="TestServerWebSocketExtensions.ConnectWebSocketAsync"/> or real Kestrel.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var alice = new TestWebSocketConnection().AuthenticateAs("alice");
/// await handler.OnConnectedAsync(alice);
/// await handler.OnMessageAsync(alice, TestMessages.Text("hi"));
/// Assert.Equal(["alice: hi"], alice.SentTexts);
/// await handler.OnDisconnectedAsync(alice, alice.CloseFromPeer());
/// </code>
/// </example>
[SuppressMessage(
    "Reliability",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "The source has no timer, so it holds nothing to release; its token must outlive the test's use of the connection, as the real connection's does.")]
public sealed class TestWebSocketConnection : IWebSocketConnection
{
    private const int MaxReasonBytes = 123;
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static int s_lastId;

    private readonly Lock _lock = new();
    private readonly List<WebSocketMessage> _sent = [];
    private readonly CancellationTokenSource _closed = new();
    private WebSocketState _state = WebSocketState.Open;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeStatusDescription;
    private bool _aborted;

    /// <summary>Creates an open connection with a new id (<c>test-1</c>, <c>test-2</c>...) and an anonymous <see cref="DefaultHttpContext"/>.</summary>
    public TestWebSocketConnection()
    {
        Id = "test-" + Interlocked.Increment(ref s_lastId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        HttpContext = new DefaultHttpContext { TraceIdentifier = Id };
    }

    /// <summary>Gets or sets the connection id.</summary>
    public string Id { get; set; }

    /// <summary>
    /// Gets or sets the HTTP context of the "upgrade request": a <see cref="DefaultHttpContext"/> unless set. Set its
    /// <c>User</c>, <c>Request.QueryString</c>, <c>Request.RouteValues</c>, <c>Request.Headers</c> or
    /// <c>RequestServices</c> to what the handler reads.
    /// </summary>
    public HttpContext HttpContext { get; set; }

    /// <summary>Gets or sets the negotiated subprotocol; <see langword="null"/> unless set.</summary>
    public string? SubProtocol { get; set; }

    /// <summary>Gets the state: <see cref="WebSocketState.Open"/>, <see cref="WebSocketState.Closed"/> after a close, <see cref="WebSocketState.Aborted"/> after <see cref="Abort"/>.</summary>
    public WebSocketState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Gets a token that is cancelled when the connection ends: the handler closed or aborted it, or the test called <see cref="CloseFromPeer"/>.</summary>
    public CancellationToken ConnectionClosed => _closed.Token;

    /// <summary>Gets the per-connection dictionary for handler state.</summary>
    public IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();

    /// <summary>Gets a copy of every message the handler sent, in order, each with its own copy of the payload.</summary>
    public IReadOnlyList<WebSocketMessage> SentMessages
    {
        get
        {
            lock (_lock)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>Gets the text of every text message the handler sent, in order (binary messages are left out).</summary>
    public IReadOnlyList<string> SentTexts => [.. SentMessages.Where(m => m.IsText).Select(m => m.GetText())];

    /// <summary>Gets the status the handler closed the connection with, or <see langword="null"/> if it did not (yet).</summary>
    public WebSocketCloseStatus? CloseStatus
    {
        get
        {
            lock (_lock)
            {
                return _closeStatus;
            }
        }
    }

    /// <summary>Gets the reason the handler closed the connection with (cut to 123 UTF-8 bytes, as sent), or <see langword="null"/>.</summary>
    public string? CloseStatusDescription
    {
        get
        {
            lock (_lock)
            {
                return _closeStatusDescription;
            }
        }
    }

    /// <summary>Gets a value indicating whether the handler called <see cref="Abort"/>.</summary>
    public bool IsAborted
    {
        get
        {
            lock (_lock)
            {
                return _aborted;
            }
        }
    }

    /// <summary>Sets <see cref="HttpContext"/>'s user to an authenticated one with this name (and roles).</summary>
    /// <param name="userName">The user's name, as <c>User.Identity.Name</c> returns it.</param>
    /// <param name="roles">Roles for <c>User.IsInRole</c>.</param>
    /// <returns>This connection, for use in an initializer: <c>new TestWebSocketConnection().AuthenticateAs("alice")</c>.</returns>
    public TestWebSocketConnection AuthenticateAs(string userName, params string[] roles)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(roles);
        var claims = new List<Claim> { new(ClaimTypes.Name, userName), new(ClaimTypes.NameIdentifier, userName) };
        claims.AddRange(roles.Select(role => new Claim(ClaimTypes.Role, role)));
        HttpContext.User = new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType: "Test"));
        return this;
    }

    /// <summary>
    /// Ends the connection as the peer would by sending a close frame: the state becomes <see cref="WebSocketState.Closed"/>,
    /// <see cref="ConnectionClosed"/> fires and sends fail from now on. Pass the result to the handler's
    /// <see cref="IMessageHandler.OnDisconnectedAsync"/>.
    /// </summary>
    /// <param name="closeStatus">The peer's status; <see cref="WebSocketCloseStatus.NormalClosure"/> by default.</param>
    /// <param name="statusDescription">The peer's reason.</param>
    /// <returns>What the middleware would tell the handler: <see cref="DisconnectReason.ClosedByPeer"/> with this status.</returns>
    public DisconnectInfo CloseFromPeer(WebSocketCloseStatus closeStatus = WebSocketCloseStatus.NormalClosure, string? statusDescription = null)
    {
        End(WebSocketState.Closed);
        return new DisconnectInfo(DisconnectReason.ClosedByPeer, closeStatus, statusDescription, null);
    }

    /// <inheritdoc />
    public ValueTask SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return RecordAsync(WebSocketMessageType.Text, s_strictUtf8.GetBytes(text), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SendTextAsync(ReadOnlyMemory<byte> utf8Text, CancellationToken cancellationToken = default)
    {
        if (!Utf8.IsValid(utf8Text.Span))
        {
            throw new ArgumentException("The text is not valid UTF-8; send it as binary, or fix its encoding.", nameof(utf8Text));
        }

        return RecordAsync(WebSocketMessageType.Text, utf8Text.ToArray(), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        RecordAsync(WebSocketMessageType.Binary, data.ToArray(), cancellationToken);

    /// <inheritdoc />
    public ValueTask CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription = null, CancellationToken cancellationToken = default)
    {
        var code = (int)closeStatus;
        if (code is not ((>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999)))
        {
            throw new ArgumentOutOfRangeException(
                nameof(closeStatus), closeStatus, "An endpoint may only send the close statuses 1000-1003, 1007-1014 and 3000-4999.");
        }

        lock (_lock)
        {
            if (_state != WebSocketState.Open)
            {
                return ValueTask.CompletedTask;
            }

            _closeStatus = closeStatus;
            _closeStatusDescription = CutReason(statusDescription);
        }

        End(WebSocketState.Closed);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Abort()
    {
        lock (_lock)
        {
            if (_state != WebSocketState.Open)
            {
                return;
            }

            _aborted = true;
        }

        End(WebSocketState.Aborted);
    }

    private ValueTask RecordAsync(WebSocketMessageType type, byte[] payload, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        lock (_lock)
        {
            if (_state != WebSocketState.Open)
            {
                return ValueTask.FromException(new WebSocketException(
                    WebSocketError.InvalidState, $"The connection {Id} has ended ({_state}); nothing can be sent on it."));
            }

            _sent.Add(new WebSocketMessage(type, payload));
        }

        return ValueTask.CompletedTask;
    }

    private void End(WebSocketState state)
    {
        lock (_lock)
        {
            if (_state == WebSocketState.Open)
            {
                _state = state;
            }
        }

        _closed.Cancel();
    }

    /// <summary>Cuts a reason to at most 123 UTF-8 bytes on a character boundary, as the real connection does.</summary>
    private static string CutReason(string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        var bytes = 0;
        foreach (var rune in reason.EnumerateRunes())
        {
            bytes += rune.Utf8SequenceLength;
            if (bytes > MaxReasonBytes)
            {
                break;
            }

            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }
}
