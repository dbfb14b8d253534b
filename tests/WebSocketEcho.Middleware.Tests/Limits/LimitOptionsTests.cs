namespace WebSocketEcho.Middleware.Tests.Limits;

/// <summary>Pins the defaults the README documents. (Validation of every option: OptionsValidation/OptionsValidationTests.)</summary>
public sealed class LimitOptionsTests
{
    [Fact]
    public void Every_limit_is_on_by_default_with_the_documented_value()
    {
        var options = new WebSocketHandlerOptions();

        Assert.Equal(10_000, options.MaxConnections);
        Assert.Equal(1024 * 1024, options.MaxMessageSize);
        Assert.Equal(4096, options.MaxFragmentsPerMessage);
        Assert.Equal(1024 * 1024, options.MaxPendingSendBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SendTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.CloseTimeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.IdleTimeout);
        Assert.False(options.EnableCompression);
        Assert.Empty(options.AllowedOrigins);
    }
}
