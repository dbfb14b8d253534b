using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebSocketEcho.Sample;

/// <summary>JSON for <c>/stats</c> and <c>POST /chat/messages</c>, generated at compile time (no reflection, so Native AOT works); camelCase names.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EchoStats))]
[JsonSerializable(typeof(ChatPostResult))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
