using System.Buffers.Binary;
using System.Text;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>Writes a frame into a span sized with the <c>Size*</c> helpers; every write advances the position.</summary>
internal ref struct FrameWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public FrameWriter(Span<byte> buffer, FrameType type)
    {
        _buffer = buffer;
        _buffer[0] = WireFormat.Version;
        _buffer[1] = (byte)type;
        _position = WireFormat.HeaderLength;
    }

    /// <summary>Gets the number of bytes written so far.</summary>
    public readonly int Position => _position;

    public static int SizeOf(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        return SizeOfVarint((uint)length) + length;
    }

    public static int SizeOf(IReadOnlyList<string> values)
    {
        var size = SizeOfVarint((uint)values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            size += SizeOf(values[i]);
        }

        return size;
    }

    public static int SizeOfBytes(int length) => SizeOfVarint((uint)length) + length;

    public static int SizeOfVarint(uint value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public void WriteByte(byte value) => _buffer[_position++] = value;

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer[_position..], value);
        _position += sizeof(ulong);
    }

    public void WriteVarint(uint value)
    {
        while (value >= 0x80)
        {
            _buffer[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_position++] = (byte)value;
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarint((uint)length);
        _position += Encoding.UTF8.GetBytes(value, _buffer.Slice(_position, length));
    }

    public void WriteStrings(IReadOnlyList<string> values)
    {
        WriteVarint((uint)values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            WriteString(values[i]);
        }
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteVarint((uint)value.Length);
        value.CopyTo(_buffer[_position..]);
        _position += value.Length;
    }
}
