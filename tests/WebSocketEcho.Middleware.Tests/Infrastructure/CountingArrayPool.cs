using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>
/// An <see cref="ArrayPool{T}"/> that counts rents and returns and knows which arrays are out, so a test can prove the
/// middleware gave back every buffer it took. Register it with <see cref="Register"/> (through the internal
/// <see cref="BufferPoolProvider"/>); every endpoint of the app then rents from it.
/// </summary>
internal sealed class CountingArrayPool : ArrayPool<byte>
{
    private readonly ArrayPool<byte> _inner = Create();
    private readonly ConcurrentDictionary<byte[], int> _out = new(ReferenceEqualityComparer.Instance);
    private long _rents;
    private long _returns;
    private long _foreignReturns;

    public long Rents => Interlocked.Read(ref _rents);

    public long Returns => Interlocked.Read(ref _returns);

    /// <summary>Gets how many arrays were returned that this pool did not hand out (or that were returned twice).</summary>
    public long ForeignReturns => Interlocked.Read(ref _foreignReturns);

    /// <summary>Gets how many rented arrays have not come back.</summary>
    public long Outstanding => Rents - Returns;

    /// <summary>Gets the bytes held by arrays that are out right now.</summary>
    public long OutstandingBytes => _out.Sum(pair => (long)pair.Key.Length * pair.Value);

    /// <summary>Makes every WebSocket endpoint of the app rent its buffers from this pool.</summary>
    public void Register(IServiceCollection services) => services.AddSingleton(new BufferPoolProvider(this));

    public override byte[] Rent(int minimumLength)
    {
        var array = _inner.Rent(minimumLength);
        _out.AddOrUpdate(array, 1, static (_, count) => count + 1);
        Interlocked.Increment(ref _rents);
        return array;
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        while (true)
        {
            if (!_out.TryGetValue(array, out var count))
            {
                Interlocked.Increment(ref _foreignReturns);
                return;
            }

            var removed = count == 1
                ? _out.TryRemove(new KeyValuePair<byte[], int>(array, 1))
                : _out.TryUpdate(array, count - 1, count);
            if (removed)
            {
                break;
            }
        }

        Interlocked.Increment(ref _returns);
        _inner.Return(array, clearArray);
    }
}
