using WebSocketEcho.Middleware;
using WebSocketEcho.Sample;

// The chapter's Go server, in ASP.NET Core: the test page at "/", the echo socket at "/echo",
// replying "Received:  " + message. Prefix and limits come from appsettings.json ("Echo" section).
var builder = WebApplication.CreateSlimBuilder(args);

// Kestrel's socket transport knobs (off unless configured); see the README's "Performance" section.
builder.WebHost.UseSockets(options => SocketTransportConfiguration.Apply(options, builder.Configuration.GetSection(SocketTransportConfiguration.SectionName)));

var prefix = builder.Configuration["Echo:Prefix"] ?? "Received:  ";
builder.Services.AddSingleton(new EchoMessageHandler(prefix));
builder.Services.AddWebSocketHandler<EchoMessageHandler>().BindConfiguration("Echo:WebSocket");

var app = builder.Build();

app.UseWebSocketHandler<EchoMessageHandler>("/echo");
app.UseDefaultFiles();
app.UseStaticFiles();

app.Run();
