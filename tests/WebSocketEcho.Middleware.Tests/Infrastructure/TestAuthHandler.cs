using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WebSocketEcho.Middleware.Tests.Infrastructure;

/// <summary>
/// A test authentication scheme: a request carrying <see cref="UserHeader"/> is signed in as that user, with the roles
/// in <see cref="RoleHeader"/> if any, and the user id (<see cref="ClaimTypes.NameIdentifier"/>) in <see cref="UserIdHeader"/>
/// if any; any other request is anonymous and gets the scheme's default challenge (401).
/// </summary>
internal sealed class TestAuthHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string SchemeName = "Test";
    public const string UserHeader = "X-Test-User";
    public const string RoleHeader = "X-Test-Role";
    public const string UserIdHeader = "X-Test-User-Id";

    public TestAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : base(options, logger, encoder)
    {
    }

    /// <summary>Registers the scheme as the default one, and authorization.</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddAuthentication(SchemeName).AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(SchemeName, null);
        services.AddAuthorization();
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var user = Request.Headers[UserHeader].ToString();
        if (string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        List<Claim> claims = [new Claim(ClaimTypes.Name, user)];
        if (Request.Headers[UserIdHeader].ToString() is { Length: > 0 } userId)
        {
            claims.Add(new Claim(ClaimTypes.NameIdentifier, userId));
        }

        claims.AddRange(Request.Headers[RoleHeader].Where(role => !string.IsNullOrEmpty(role)).Select(role => new Claim(ClaimTypes.Role, role!)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
