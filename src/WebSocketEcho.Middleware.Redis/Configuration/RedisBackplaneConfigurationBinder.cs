using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>
/// Reads <see cref="RedisBackplaneOptions"/> from a configuration section without reflection (so Native AOT needs no
/// binding generator). The section is either the connection string itself (<c>"Backplane:Redis": "127.0.0.1:6379"</c>,
/// <c>Backplane__Redis=127.0.0.1:6379</c>) or an object of options. An unknown key or a value that does not parse
/// stops the app with an error naming the key: a typo must not silently leave an option at its default.
/// </summary>
internal static class RedisBackplaneConfigurationBinder
{
    private static readonly string[] s_keys =
    [
        nameof(RedisBackplaneOptions.Configuration),
        nameof(RedisBackplaneOptions.ChannelPrefix),
        nameof(RedisBackplaneOptions.MaxBufferedMessages),
        nameof(RedisBackplaneOptions.MaxBufferedBytes),
        nameof(RedisBackplaneOptions.MaxBufferAge),
        nameof(RedisBackplaneOptions.GroupChangeTimeout),
        nameof(RedisBackplaneOptions.ReconnectFlushDelay),
    ];

    public static void Bind(IConfiguration section, RedisBackplaneOptions options)
    {
        if (section is IConfigurationSection { Value: { Length: > 0 } connectionString })
        {
            options.Configuration = connectionString;
        }

        foreach (var child in section.GetChildren())
        {
            if (child.Value is null)
            {
                throw Invalid(child, $"is a section; expected one of the values {string.Join(", ", s_keys)}.");
            }

            switch (child.Key.ToUpperInvariant())
            {
                case "CONFIGURATION":
                    options.Configuration = child.Value;
                    break;
                case "CHANNELPREFIX":
                    options.ChannelPrefix = child.Value;
                    break;
                case "MAXBUFFEREDMESSAGES":
                    options.MaxBufferedMessages = int.TryParse(child.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var messages)
                        ? messages
                        : throw Invalid(child, "is not a whole number.");
                    break;
                case "MAXBUFFEREDBYTES":
                    options.MaxBufferedBytes = long.TryParse(child.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes)
                        ? bytes
                        : throw Invalid(child, "is not a whole number of bytes.");
                    break;
                case "MAXBUFFERAGE":
                    options.MaxBufferAge = ParseTimeSpan(child);
                    break;
                case "GROUPCHANGETIMEOUT":
                    options.GroupChangeTimeout = ParseTimeSpan(child);
                    break;
                case "RECONNECTFLUSHDELAY":
                    options.ReconnectFlushDelay = ParseTimeSpan(child);
                    break;
                default:
                    throw Invalid(child, $"is not a Redis backplane option; the options are {string.Join(", ", s_keys)}.");
            }
        }
    }

    private static TimeSpan ParseTimeSpan(IConfigurationSection child) =>
        TimeSpan.TryParse(child.Value, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(child, "is not a time span (for example 00:00:05 for five seconds).");

    private static InvalidOperationException Invalid(IConfigurationSection child, string problem) =>
        new($"Configuration key '{child.Path}' (value '{child.Value}') {problem}");
}
