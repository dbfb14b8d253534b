using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware;

/// <summary>RFC 6455 section 7.4 rules for the close frames the server sends.</summary>
internal static class CloseStatusRules
{
    /// <summary>A close frame's payload is at most 125 bytes: a 2-byte status and up to 123 bytes of UTF-8 reason.</summary>
    public const int MaxReasonBytes = 123;

    /// <summary>Whether an endpoint may put <paramref name="status"/> in a close frame it sends.</summary>
    public static bool IsSendable(WebSocketCloseStatus status)
    {
        var code = (int)status;
        return code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
    }

    /// <summary>
    /// Returns <paramref name="reason"/> cut to at most <see cref="MaxReasonBytes"/> UTF-8 bytes on a character
    /// boundary; unpaired surrogates become U+FFFD, so the result always encodes.
    /// </summary>
    public static string TruncateReason(string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(Math.Min(reason.Length, MaxReasonBytes));
        Span<char> chars = stackalloc char[2];
        var bytes = 0;
        foreach (var rune in reason.EnumerateRunes())
        {
            bytes += rune.Utf8SequenceLength;
            if (bytes > MaxReasonBytes)
            {
                break;
            }

            builder.Append(chars[..rune.EncodeToUtf16(chars)]);
        }

        return builder.ToString();
    }
}
