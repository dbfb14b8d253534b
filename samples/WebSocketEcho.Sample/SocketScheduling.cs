namespace WebSocketEcho.Sample;

/// <summary>How the runtime schedules socket completions in this process.</summary>
/// <param name="InlineCompletions"><see langword="true"/> when completions run inline on the runtime's I/O threads.</param>
internal readonly record struct SocketScheduling(bool InlineCompletions);
