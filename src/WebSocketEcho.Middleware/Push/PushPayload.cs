using System.Text;

namespace WebSocketEcho.Middleware;

/// <summary>Encodes a pushed message once per call, into an array every delivery shares until the last one has gone out.</summary>
internal static class PushPayload
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encodes <paramref name="text"/> as UTF-8; throws <see cref="ArgumentException"/> for unpaired surrogates.</summary>
    public static byte[] Encode(string text)
    {
        try
        {
            return s_strictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("The text holds an unpaired surrogate and cannot be sent as UTF-8.", nameof(text), ex);
        }
    }
}
