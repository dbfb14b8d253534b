using System.Diagnostics.CodeAnalysis;

// RS0026 guards against overload sets where adding an optional parameter makes existing calls ambiguous. These two
// overloads implement IWebSocketConnection's pair, which differ in the type of their first, required parameter
// (string vs UTF-8 bytes), so no call can bind to both.
[assembly: SuppressMessage(
    "ApiDesign",
    "RS0026:Do not add multiple public overloads with optional parameters",
    Scope = "member",
    Target = "~M:WebSocketEcho.Middleware.Testing.TestWebSocketConnection.SendTextAsync(System.String,System.Threading.CancellationToken)~System.Threading.Tasks.ValueTask",
    Justification = "Implements IWebSocketConnection; the overloads differ in a required parameter's type.")]
[assembly: SuppressMessage(
    "ApiDesign",
    "RS0026:Do not add multiple public overloads with optional parameters",
    Scope = "member",
    Target = "~M:WebSocketEcho.Middleware.Testing.TestWebSocketConnection.SendTextAsync(System.ReadOnlyMemory{System.Byte},System.Threading.CancellationToken)~System.Threading.Tasks.ValueTask",
    Justification = "Implements IWebSocketConnection; the overloads differ in a required parameter's type.")]
