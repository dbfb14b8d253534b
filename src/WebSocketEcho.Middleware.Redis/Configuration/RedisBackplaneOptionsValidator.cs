using System.Globalization;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware.Redis;

/// <summary>Checks <see cref="RedisBackplaneOptions"/> when the app starts; each failure names the option and the allowed range.</summary>
internal sealed class RedisBackplaneOptionsValidator : IValidateOptions<RedisBackplaneOptions>
{
    public const int MaxChannelPrefixLength = 100;
    public const int MaxMessagesLimit = 10_000_000;
    public const long MinBytes = 1024;

    public ValidateOptionsResult Validate(string? name, RedisBackplaneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (ConnectionOptionsFactory.Describe(options) is { } connectionProblem)
        {
            failures.Add(connectionProblem);
        }

        if (string.IsNullOrEmpty(options.ChannelPrefix) || options.ChannelPrefix.Length > MaxChannelPrefixLength || options.ChannelPrefix.Any(char.IsWhiteSpace))
        {
            failures.Add(Invariant($"{nameof(RedisBackplaneOptions)}.{nameof(RedisBackplaneOptions.ChannelPrefix)} must be 1 to {MaxChannelPrefixLength} characters without whitespace (was \"{options.ChannelPrefix}\")."));
        }

        if (options.MaxBufferedMessages is < 1 or > MaxMessagesLimit)
        {
            failures.Add(Invariant($"{nameof(RedisBackplaneOptions)}.{nameof(RedisBackplaneOptions.MaxBufferedMessages)} must be between 1 and {MaxMessagesLimit} (was {options.MaxBufferedMessages})."));
        }

        if (options.MaxBufferedBytes < MinBytes)
        {
            failures.Add(Invariant($"{nameof(RedisBackplaneOptions)}.{nameof(RedisBackplaneOptions.MaxBufferedBytes)} must be at least {MinBytes} (was {options.MaxBufferedBytes})."));
        }

        CheckRange(failures, nameof(RedisBackplaneOptions.MaxBufferAge), options.MaxBufferAge, TimeSpan.FromTicks(1), TimeSpan.FromDays(1), "more than 00:00:00 and at most 1.00:00:00");
        CheckRange(failures, nameof(RedisBackplaneOptions.GroupChangeTimeout), options.GroupChangeTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5), "between 00:00:00.1 and 00:05:00");
        CheckRange(failures, nameof(RedisBackplaneOptions.ReconnectFlushDelay), options.ReconnectFlushDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1), "between 00:00:00 and 00:01:00");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckRange(List<string> failures, string option, TimeSpan value, TimeSpan min, TimeSpan max, string range)
    {
        if (value < min || value > max)
        {
            failures.Add(Invariant($"{nameof(RedisBackplaneOptions)}.{option} must be {range} (was {value})."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
