using WebSocketEcho.Middleware;
using WebSocketEcho.Sample;

// The chapter's Go server, in ASP.NET Core: the test page at "/", the echo socket at "/echo",
// replying "Received:  " + message. Prefix and limits come from appsettings.json ("Echo" section).
// GET /stats shows the middleware's metrics as JSON; the test page polls it.
var builder = WebApplication.CreateSlimBuilder(args);

// Kestrel's socket transport knobs (off unless configured); see the README's "Performance" section.
builder.WebHost.UseSockets(options => SocketTransportConfiguration.Apply(options, builder.Configuration.GetSection(SocketTransportConfiguration.SectionName)));

var prefix = builder.Configuration["Echo:Prefix"] ?? "Received:  ";
builder.Services.AddSingleton(new EchoMessageHandler(prefix));
builder.Services.AddWebSocketHandler<EchoMessageHandler>().BindConfiguration("Echo:WebSocket");
builder.Services.AddSingleton<EchoStatsListener>();

var app = builder.Build();

// Listen to the metrics before the first connection arrives.
var stats = app.Services.GetRequiredService<EchoStatsListener>();

app.UseWebSocketHandler<EchoMessageHandler>("/echo");
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapGet("/stats", (HttpContext context) =>
{
    context.Response.Headers.CacheControl = "no-store";
    return TypedResults.Json(stats.Snapshot(), SampleJsonContext.Default.EchoStats);
});

app.Run();
