using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using WebSocketEcho.Middleware;
using WebSocketEcho.Sample;

// The chapter's Go server, in ASP.NET Core: the test page at "/", the echo socket at "/echo",
// replying "Received:  " + message. Prefix and limits come from appsettings.json ("Echo" section).
// GET /stats shows the middleware's metrics as JSON; the test page polls it.
var builder = WebApplication.CreateSlimBuilder(args);
var socketScheduling = builder.UseSampleSocketTransport(); // Kestrel's socket knobs, with their reasons (SampleSocketTransport.cs)
var https = builder.UseSampleHttps();                      // http://localhost:1234, and https://localhost:1235 given a certificate (SampleHttps.cs)

var prefix = builder.Configuration["Echo:Prefix"] ?? "Received:  ";
builder.Services.AddSingleton(new EchoMessageHandler(prefix));
builder.Services.AddWebSocketHandler<EchoMessageHandler>().BindConfiguration("Echo:WebSocket");
builder.Services.AddSingleton<EchoStatsListener>();
builder.AddSampleTelemetry(); // OpenTelemetry export of traces and metrics, off unless OpenTelemetry:Exporter is set (docs/tracing.md)

// The chat: what one page sends reaches every page ("Chat" section for its limits).
builder.Services.AddWebSocketHandler<ChatHandler>().BindConfiguration("Chat:WebSocket");

// Scale out (docs/redis.md): "Backplane:Redis" (appsettings.json, or Backplane__Redis=127.0.0.1:6379) turns the Redis
// backplane on, so the chat reaches the pages of every instance; unset, pushes stay on this instance. /health shows it.
var healthChecks = builder.Services.AddHealthChecks();
var redisBackplane = builder.Configuration.GetSection("Backplane:Redis");
if (redisBackplane.Exists())
{
    builder.Services.AddRedisBackplane(redisBackplane);
    healthChecks.AddWebSocketRedisBackplane();
}

var app = builder.Build();
socketScheduling.Log(app.Logger);
https.Log(app.Logger);

// Listen to the metrics before the first connection arrives.
var stats = app.Services.GetRequiredService<EchoStatsListener>();

// Behind a TLS-terminating proxy the page's origin is https:// again (SampleForwardedHeaders.cs, docs/deploying.md).
app.UseForwardedHeaders(SampleForwardedHeaders.Options(app.Configuration));

app.UseWebSocketHandler<EchoMessageHandler>("/echo");

// A pure echo (no prefix) for conformance tools such as Autobahn|Testsuite, which expect every message back
// unchanged: room for 16 MiB messages, permessage-deflate when offered ("PlainEcho" section). Nothing secret
// passes through an echo, so compression cannot leak anything here (see docs/security.md, "Why compression is off").
app.UseWebSocketHandler("/echo/plain", new EchoMessageHandler(), options => builder.Configuration.GetSection("PlainEcho:WebSocket").Bind(options));

// The chat page (/chat.html) talks to /chat; POST /chat/messages pushes to every chat page from outside the socket.
app.UseWebSocketHandler<ChatHandler>("/chat");
app.MapChatMessages();

app.UseDefaultFiles();
app.UseStaticFiles();

app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync });

app.MapGet("/stats", (HttpContext context) =>
{
    context.Response.Headers.CacheControl = "no-store";
    return TypedResults.Json(stats.Snapshot(), SampleJsonContext.Default.EchoStats);
});

app.Run();
