using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebSocketEcho.Sample;

/// <summary>JSON for <c>/stats</c>, generated at compile time (no reflection, so Native AOT works); camelCase names.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EchoStats))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
