namespace WebSocketEcho.Benchmarks.CloseTimes;

/// <summary>
/// One measured failed connection: milliseconds from the failing bytes to the server's close frame read by the peer
/// and to the end of TCP, and how TCP ended; <paramref name="Error"/> says what went wrong when the measurement failed
/// (no close frame, the wrong status, TCP still open), and then the times may be missing.
/// </summary>
internal sealed record CloseSample(double? CloseFrameMs, double? TcpEndMs, TcpEnd? End, string? Error);
