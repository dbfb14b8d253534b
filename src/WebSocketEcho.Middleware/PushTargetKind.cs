namespace WebSocketEcho.Middleware;

/// <summary>Who a pushed message is for; the keys of a <see cref="PushTarget"/> or <see cref="BackplaneMessage"/> are read accordingly.</summary>
public enum PushTargetKind
{
    /// <summary>Every connection; there are no keys.</summary>
    All = 0,

    /// <summary>The connections whose ids are the keys.</summary>
    Connections = 1,

    /// <summary>The connections of the users whose ids are the keys.</summary>
    Users = 2,

    /// <summary>The members of the groups whose names are the keys.</summary>
    Groups = 3,
}
