using System.Diagnostics.CodeAnalysis;

// RS0026 guards against overload sets where adding an optional parameter makes existing calls ambiguous. These two
// overloads differ in the type of their first, required parameter (string vs UTF-8 bytes), so no call can bind to
// both; the shape mirrors the platform's own WebSocket.SendAsync overloads.
[assembly: SuppressMessage(
    "ApiDesign",
    "RS0026:Do not add multiple public overloads with optional parameters",
    Scope = "member",
    Target = "~M:WebSocketEcho.Middleware.IWebSocketConnection.SendTextAsync(System.String,System.Threading.CancellationToken)~System.Threading.Tasks.ValueTask",
    Justification = "The overloads differ in a required parameter's type; no call is ambiguous.")]
[assembly: SuppressMessage(
    "ApiDesign",
    "RS0026:Do not add multiple public overloads with optional parameters",
    Scope = "member",
    Target = "~M:WebSocketEcho.Middleware.IWebSocketConnection.SendTextAsync(System.ReadOnlyMemory{System.Byte},System.Threading.CancellationToken)~System.Threading.Tasks.ValueTask",
    Justification = "The overloads differ in a required parameter's type; no call is ambiguous.")]
[assembly: SuppressMessage(
    "ApiDesign",
    "RS0026:Do not add multiple public overloads with optional parameters",
    Scope = "member",
    Target = "~M:WebSocketEcho.Middleware.PushTarget.SendTextAsync(System.String,System.Threading.CancellationToken)~System.Threading.Tasks.ValueTask{WebSocketEcho.Middleware.PushResult}",
    Justification = "The overloads differ in a required parameter's type; no call is ambiguous.")]
[assembly: SuppressMessage(
    "ApiDesign",
    "RS0026:Do not add multiple public overloads with optional parameters",
    Scope = "member",
    Target = "~M:WebSocketEcho.Middleware.PushTarget.SendTextAsync(System.ReadOnlyMemory{System.Byte},System.Threading.CancellationToken)~System.Threading.Tasks.ValueTask{WebSocketEcho.Middleware.PushResult}",
    Justification = "The overloads differ in a required parameter's type; no call is ambiguous.")]
