using WebSocketEcho.Middleware;

// The chapter's Go server, in ASP.NET Core: the test page at "/", the echo socket at "/echo",
// replying "Received:  " + message. Prefix and limits come from appsettings.json ("Echo" section).
var builder = WebApplication.CreateSlimBuilder(args);

var prefix = builder.Configuration["Echo:Prefix"] ?? "Received:  ";
builder.Services.AddSingleton(new EchoMessageHandler(prefix));
builder.Services.AddWebSocketHandler<EchoMessageHandler>().BindConfiguration("Echo:WebSocket");

var app = builder.Build();

app.UseWebSocketHandler<EchoMessageHandler>("/echo");
app.UseDefaultFiles();
app.UseStaticFiles();

app.Run();
