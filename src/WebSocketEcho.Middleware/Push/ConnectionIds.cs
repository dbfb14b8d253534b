using System.Globalization;
using System.Security.Cryptography;

namespace WebSocketEcho.Middleware;

/// <summary>
/// Connection ids: <c>{instance}-{sequence}</c>, for example <c>k2v9x7q4ma-1f</c>. The instance part (10 random base-32
/// characters, 50 bits) is the same for every connection of one app instance, so a backplane can route a message for one
/// connection to the instance that holds it without any per-connection state; the sequence (hexadecimal) makes each id
/// unique within the instance.
/// </summary>
internal static class ConnectionIds
{
    private const int InstanceLength = 10;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string NewInstanceId() => RandomNumberGenerator.GetString(Alphabet, InstanceLength);

    public static string Create(string instanceId, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{instanceId}-{sequence:x}");

    /// <summary>Gets the instance part of an id the middleware issued, or null for anything else.</summary>
    public static string? GetInstanceId(string? connectionId)
    {
        if (connectionId is null || connectionId.Length < InstanceLength + 2 || connectionId[InstanceLength] != '-')
        {
            return null;
        }

        foreach (var c in connectionId.AsSpan(0, InstanceLength))
        {
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return null;
            }
        }

        foreach (var c in connectionId.AsSpan(InstanceLength + 1))
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return null;
            }
        }

        return connectionId[..InstanceLength];
    }
}
