namespace WebSocketEcho.Middleware;

/// <summary>
/// Follows the peer's frames through the raw bytes the platform's WebSocket reads, to count exactly how many frames
/// each message has. The platform's receive results cannot say: a receive returns at the end of a frame or when the
/// buffer is full, so a frame that ends exactly where the buffer fills looks like one that goes on, and the zero-byte
/// receive that waits for a message consumes an empty first fragment without a trace. Here every frame header is seen.
/// Only lengths are read (2 to 14 header bytes, then the payload is skipped); the platform validates everything else
/// and fails the connection on a malformed frame, after which the count no longer matters. It also notes when a whole
/// close frame has gone by, so a lingering close can end as soon as the peer has answered.
/// </summary>
internal struct IncomingFrameCounter
{
    private readonly int _maxFramesPerMessage;
    private long _payloadLeft;
    private long _payloadLength;
    private int _headerRead;
    private int _lengthEnd;
    private int _headerLength;
    private int _opcode;
    private int _framesInMessage;
    private long _messages;
    private long _firstMessageOverLimit;
    private bool _inCloseFrame;
    private bool _closeFrameReceived;

    public IncomingFrameCounter(int maxFramesPerMessage) => _maxFramesPerMessage = maxFramesPerMessage;

    /// <summary>
    /// Gets the number (1 for the connection's first data message) of the first message with more than the most
    /// frames allowed, as soon as the header of its frame over the limit has been read; 0 while there is none.
    /// </summary>
    public readonly long FirstMessageOverLimit => _firstMessageOverLimit;

    /// <summary>Gets a value indicating whether a whole close frame (header and payload) has gone by.</summary>
    public readonly bool CloseFrameReceived => _closeFrameReceived;

    /// <summary>Follows <paramref name="bytes"/>, the next bytes read from the peer.</summary>
    public void Advance(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var skipped = (int)Math.Min(_payloadLeft, bytes.Length);
                _payloadLeft -= skipped;
                bytes = bytes[skipped..];
                _closeFrameReceived |= _inCloseFrame && _payloadLeft == 0;
                continue;
            }

            var value = bytes[0];
            bytes = bytes[1..];
            switch (_headerRead++)
            {
                case 0:
                    _opcode = value & 0x0F;
                    break;
                case 1:
                    var length = value & 0x7F;
                    _lengthEnd = length switch { 126 => 4, 127 => 10, _ => 2 };
                    _headerLength = _lengthEnd + ((value & 0x80) != 0 ? 4 : 0); // + the masking key
                    _payloadLength = length < 126 ? length : 0;
                    break;
                default:
                    if (_headerRead <= _lengthEnd)
                    {
                        _payloadLength = (_payloadLength << 8) | value; // extended length, big-endian
                    }

                    break;
            }

            if (_headerRead > 1 && _headerRead == _headerLength)
            {
                OnFrame();
            }
        }
    }

    private void OnFrame()
    {
        _headerRead = 0;

        // A 64-bit length with the top bit set is negative: the platform fails the connection (1002); stop following.
        _payloadLeft = _payloadLength >= 0 ? _payloadLength : long.MaxValue;
        _inCloseFrame = _opcode == 0x8;
        _closeFrameReceived |= _inCloseFrame && _payloadLeft == 0;
        switch (_opcode)
        {
            case 0x1 or 0x2: // text or binary: a new message
                _messages++;
                _framesInMessage = 1;
                break;
            case 0x0: // continuation
                if (_framesInMessage <= _maxFramesPerMessage)
                {
                    _framesInMessage++;
                }

                break;
            default: // control frames are not part of a message (reserved opcodes fail the connection)
                return;
        }

        if (_framesInMessage > _maxFramesPerMessage && _firstMessageOverLimit == 0)
        {
            _firstMessageOverLimit = _messages;
        }
    }
}
