namespace WebSocketEcho.Middleware;

/// <summary>
/// Reaches the WebSocket connections of the endpoints served by one handler type, from anywhere in the app: a
/// controller, a minimal API endpoint, a hosted service, or a handler (its own connection's or another endpoint's).
/// Inject <see cref="IWebSocketPush{THandler}"/>; it is registered by <c>services.AddWebSocketHandler&lt;THandler&gt;()</c>
/// or <c>services.AddWebSocketPush()</c>.
/// </summary>
/// <remarks>
/// <para>
/// Choose who receives a message with <see cref="All"/>, <see cref="Connection"/>, <see cref="Connections"/>,
/// <see cref="User"/>, <see cref="Users"/>, <see cref="Group"/> or <see cref="Groups"/> (narrowed with
/// <see cref="PushTarget.Except"/>), then send text or binary on the returned <see cref="PushTarget"/>. A message is
/// encoded once per call and handed to each target connection's single writer, where it keeps that connection's limits
/// (<see cref="WebSocketHandlerOptions.MaxPendingSendBytes"/>, <see cref="WebSocketHandlerOptions.SendTimeout"/>): a
/// connection that stopped reading is closed with 1008 and never holds up the others.
/// </para>
/// <para>
/// Ordering: messages sent by one caller to one connection arrive in the order that caller's calls were made (each call
/// awaited before the next), also when the connection's handler sends its own replies in between.
/// </para>
/// <para>
/// With a backplane (for example Redis), every target also reaches the connections held by the other instances;
/// <see cref="PushResult.Backplane"/> says whether the message left this instance.
/// </para>
/// </remarks>
public interface IWebSocketPush
{
    /// <summary>Gets a target that reaches every connection.</summary>
    PushTarget All { get; }

    /// <summary>Gets a target that reaches one connection.</summary>
    /// <param name="connectionId">The connection's <see cref="IWebSocketConnection.Id"/>.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionId"/> is null or empty.</exception>
    PushTarget Connection(string connectionId);

    /// <summary>Gets a target that reaches the given connections (each once).</summary>
    /// <param name="connectionIds">The connections' ids.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionIds"/> is null or holds a null or empty id.</exception>
    PushTarget Connections(params IEnumerable<string> connectionIds);

    /// <summary>Gets a target that reaches every connection of one user (see <see cref="IWebSocketUserIdProvider"/>).</summary>
    /// <param name="userId">The user id.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is null or empty.</exception>
    PushTarget User(string userId);

    /// <summary>Gets a target that reaches every connection of the given users (each connection once).</summary>
    /// <param name="userIds">The user ids.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException"><paramref name="userIds"/> is null or holds a null or empty id.</exception>
    PushTarget Users(params IEnumerable<string> userIds);

    /// <summary>Gets a target that reaches every member of a group.</summary>
    /// <param name="groupName">The group's name.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException"><paramref name="groupName"/> is null or empty.</exception>
    PushTarget Group(string groupName);

    /// <summary>Gets a target that reaches every member of the given groups (a connection in several of them once).</summary>
    /// <param name="groupNames">The groups' names.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException"><paramref name="groupNames"/> is null or holds a null or empty name.</exception>
    PushTarget Groups(params IEnumerable<string> groupNames);

    /// <summary>
    /// Adds a connection to a group; the group is created by its first member. A connection leaves all its groups when it
    /// ends. Adding a connection to a group it is in already changes nothing.
    /// </summary>
    /// <param name="connectionId">The connection's id: one of this instance's, or, with a backplane, any instance's.</param>
    /// <param name="groupName">The group's name.</param>
    /// <param name="cancellationToken">Cancels waiting for another instance's answer (with a backplane).</param>
    /// <returns><see langword="true"/> when the connection was found open and is now in the group; <see langword="false"/> when no open connection has that id.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionId"/> or <paramref name="groupName"/> is null or empty.</exception>
    ValueTask<bool> AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default);

    /// <summary>Removes a connection from a group; the group disappears with its last member.</summary>
    /// <param name="connectionId">The connection's id: one of this instance's, or, with a backplane, any instance's.</param>
    /// <param name="groupName">The group's name.</param>
    /// <param name="cancellationToken">Cancels waiting for another instance's answer (with a backplane).</param>
    /// <returns><see langword="true"/> when the connection was found open (it is no longer in the group); <see langword="false"/> when no open connection has that id.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionId"/> or <paramref name="groupName"/> is null or empty.</exception>
    ValueTask<bool> RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default);
}

/// <summary>
/// Reaches the WebSocket connections of every endpoint served by <typeparamref name="THandler"/>
/// (<c>UseWebSocketHandler</c> or <c>MapWebSocketHandler</c>, with an instance or from DI), from anywhere in the app.
/// </summary>
/// <typeparam name="THandler">The handler type whose endpoints this reaches.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1040:Avoid empty interfaces", Justification = "The type parameter is the point: it selects the push scope by handler type, as IHubContext<THub> does.")]
public interface IWebSocketPush<THandler> : IWebSocketPush
    where THandler : class, IMessageHandler
{
}
