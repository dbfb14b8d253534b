using System.Globalization;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware;

/// <summary>Checks <see cref="WebSocketHandlerOptions"/>; every failure names the option, its allowed range and the value found.</summary>
internal sealed class WebSocketHandlerOptionsValidator : IValidateOptions<WebSocketHandlerOptions>
{
    internal const int MaxReceiveBufferSize = 16 * 1024 * 1024;
    internal const int MaxMaxMessageSize = 1024 * 1024 * 1024;
    internal static readonly TimeSpan MaxCloseTimeout = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, WebSocketHandlerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = GetFailures(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws an <see cref="OptionsValidationException"/> listing every invalid option.</summary>
    internal static void ThrowIfInvalid(WebSocketHandlerOptions options, string optionsName)
    {
        var failures = GetFailures(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(optionsName, typeof(WebSocketHandlerOptions), failures);
        }
    }

    internal static List<string> GetFailures(WebSocketHandlerOptions options)
    {
        var failures = new List<string>();

        if (options.ReceiveBufferSize is < 1 or > MaxReceiveBufferSize)
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.ReceiveBufferSize must be between 1 and {MaxReceiveBufferSize} bytes; it was {options.ReceiveBufferSize}."));
        }

        if (options.MaxMessageSize > MaxMaxMessageSize || options.MaxMessageSize < Math.Max(1, options.ReceiveBufferSize))
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.MaxMessageSize must be between ReceiveBufferSize ({options.ReceiveBufferSize}) and {MaxMaxMessageSize} bytes; it was {options.MaxMessageSize}."));
        }

        if (options.MaxFragmentsPerMessage < 1)
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.MaxFragmentsPerMessage must be 1 or more; it was {options.MaxFragmentsPerMessage}."));
        }

        if (options.KeepAliveInterval < TimeSpan.Zero && options.KeepAliveInterval != Timeout.InfiniteTimeSpan)
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.KeepAliveInterval must be zero or positive (zero or Timeout.InfiniteTimeSpan turns keep-alive off); it was {options.KeepAliveInterval}."));
        }

        CheckPositiveOrInfinite(failures, nameof(WebSocketHandlerOptions.KeepAliveTimeout), options.KeepAliveTimeout);
        CheckPositiveOrInfinite(failures, nameof(WebSocketHandlerOptions.IdleTimeout), options.IdleTimeout);
        CheckPositiveOrInfinite(failures, nameof(WebSocketHandlerOptions.SendTimeout), options.SendTimeout);

        if (options.CloseTimeout <= TimeSpan.Zero || options.CloseTimeout > MaxCloseTimeout)
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.CloseTimeout must be more than zero and at most {MaxCloseTimeout}; it was {options.CloseTimeout}."));
        }

        if (options.MaxPendingSendBytes < 1)
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.MaxPendingSendBytes must be 1 or more; it was {options.MaxPendingSendBytes}."));
        }

        if (options.MaxConnections is < 1)
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.MaxConnections must be 1 or more, or null for no limit; it was {options.MaxConnections}."));
        }

        foreach (var origin in options.AllowedOrigins)
        {
            if (origin != "*" && !OriginPolicy.TryNormalize(origin, out _))
            {
                failures.Add($"WebSocketHandlerOptions.AllowedOrigins must hold \"*\", \"null\" or origins of the form scheme://host[:port] without a path; \"{origin}\" is not one.");
            }
        }

        foreach (var protocol in options.SubProtocols)
        {
            if (!SubProtocolNegotiator.IsValidToken(protocol))
            {
                failures.Add($"WebSocketHandlerOptions.SubProtocols must hold non-empty HTTP tokens (no spaces, commas or separators); \"{protocol}\" is not one.");
            }
        }

        return failures;
    }

    private static void CheckPositiveOrInfinite(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            failures.Add(Invariant($"WebSocketHandlerOptions.{name} must be positive, or Timeout.InfiniteTimeSpan to turn it off; it was {value}."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
