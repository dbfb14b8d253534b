using System.Buffers;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Lets tests and benchmarks substitute the pool receive buffers come from (for example one that counts rents and
/// returns); registered in DI, it is picked up by every endpoint. Without it, <see cref="ArrayPool{T}.Shared"/> is used.
/// </summary>
internal sealed class BufferPoolProvider
{
    public BufferPoolProvider(ArrayPool<byte> pool) => Pool = pool;

    public ArrayPool<byte> Pool { get; }
}
