using System.Buffers.Binary;
using System.Text;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Reads the body of a frame after its header. Every read checks the bounds and fails (returns false) instead of
/// throwing, so a truncated or hostile frame is counted as malformed and skipped.
/// </summary>
internal ref struct FrameReader
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public FrameReader(ReadOnlySpan<byte> frame)
    {
        _buffer = frame;
        _position = WireFormat.HeaderLength;
    }

    /// <summary>Gets whether every byte of the frame was read: a frame with trailing bytes is malformed.</summary>
    public readonly bool AtEnd => _position == _buffer.Length;

    /// <summary>Gets the position of the next byte (to slice the payload out of the frame).</summary>
    public readonly int Position => _position;

    public bool TryReadByte(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return false;
        }

        value = _buffer[_position++];
        return true;
    }

    public bool TryReadUInt64(out ulong value)
    {
        if (_buffer.Length - _position < sizeof(ulong))
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[_position..]);
        _position += sizeof(ulong);
        return true;
    }

    public bool TryReadVarint(out uint value)
    {
        value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                return false;
            }

            var b = _buffer[_position++];
            if (shift == 28 && b > 0x0F)
            {
                return false;
            }

            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads a length-prefixed byte range; returns its offset and length within the frame.</summary>
    public bool TryReadBytes(out int offset, out int length)
    {
        offset = length = 0;
        if (!TryReadVarint(out var size) || size > (uint)(_buffer.Length - _position))
        {
            return false;
        }

        offset = _position;
        length = (int)size;
        _position += length;
        return true;
    }

    public bool TryReadString(out string value)
    {
        value = string.Empty;
        if (!TryReadBytes(out var offset, out var length))
        {
            return false;
        }

        try
        {
            value = s_strictUtf8.GetString(_buffer.Slice(offset, length));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Reads a string that must not be empty (ids, names, scopes).</summary>
    public bool TryReadName(out string value) => TryReadString(out value) && value.Length > 0;

    public bool TryReadNames(out string[] values)
    {
        values = [];
        // Each name takes at least two bytes (length and one character): a count beyond that is a lie.
        if (!TryReadVarint(out var count) || count > (uint)(_buffer.Length - _position) / 2)
        {
            return false;
        }

        var names = count == 0 ? [] : new string[count];
        for (var i = 0; i < names.Length; i++)
        {
            if (!TryReadName(out names[i]))
            {
                return false;
            }
        }

        values = names;
        return true;
    }
}
