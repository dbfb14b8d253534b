using System.Net;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Security;

/// <summary>
/// Requiring an authorized user (a role policy) before the upgrade, with plain ASP.NET Core: the two recipes docs/security.md
/// shows. A refused request gets 401 or 403 and is never upgraded; the handler sees the user. (Routing/ covers plain
/// <c>RequireAuthorization()</c> with an anonymous and a signed-in caller.)
/// </summary>
public sealed class AuthorizationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string?, string?, HttpStatusCode> Callers => new()
    {
        { null, null, HttpStatusCode.Unauthorized },
        { "mallory", null, HttpStatusCode.Forbidden },
        { "mallory", "guest", HttpStatusCode.Forbidden },
        { "alice", "member", HttpStatusCode.SwitchingProtocols },
    };

    [Theory]
    [MemberData(nameof(Callers))]
    public async Task MapWebSocketHandler_with_RequireAuthorization_refuses_before_the_upgrade_and_passes_the_user_to_the_handler(
        string? user, string? role, HttpStatusCode expected)
    {
        var handler = UserEchoHandler();
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                a.UseAuthentication();
                a.UseAuthorization();
                a.MapWebSocketHandler("/chat", handler).RequireAuthorization("members");
            },
            AddTestAuthentication);

        await AssertCallerAsync(app, handler, "/chat", user, role, expected);
    }

    [Theory]
    [MemberData(nameof(Callers))]
    public async Task UseWebSocketHandler_behind_a_policy_check_for_its_path_refuses_before_the_upgrade_and_passes_the_user_to_the_handler(
        string? user, string? role, HttpStatusCode expected)
    {
        var handler = UserEchoHandler();
        await using var app = await TestApp.StartKestrelAsync(
            a =>
            {
                // The recipe in docs/security.md for UseWebSocketHandler.
                a.UseAuthentication();
                a.UseWhen(
                    context => context.Request.Path.StartsWithSegments("/chat"),
                    branch => branch.Use(async (context, next) =>
                    {
                        if (context.User.Identity?.IsAuthenticated != true)
                        {
                            await context.ChallengeAsync();
                            return;
                        }

                        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
                        if (!(await authorization.AuthorizeAsync(context.User, "members")).Succeeded)
                        {
                            await context.ForbidAsync();
                            return;
                        }

                        await next(context);
                    }));
                a.UseWebSocketHandler("/chat", handler);
            },
            AddTestAuthentication);

        await AssertCallerAsync(app, handler, "/chat", user, role, expected);
    }

    private static void AddTestAuthentication(IServiceCollection services)
    {
        TestAuthHandler.AddTo(services);
        services.AddAuthorizationBuilder().AddPolicy("members", policy => policy.RequireRole("member"));
    }

    /// <summary>Replies with who the handler thinks is connected.</summary>
    private static RecordingHandler UserEchoHandler() => new()
    {
        OnMessage = (connection, _) =>
        {
            var user = connection.HttpContext.User;
            return connection.SendTextAsync($"{user.Identity?.Name}|{user.Identity?.IsAuthenticated}|{user.IsInRole("member")}");
        },
    };

    private static async Task AssertCallerAsync(TestApp app, RecordingHandler handler, string path, string? user, string? role, HttpStatusCode expected)
    {
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        if (user is not null)
        {
            client.Options.SetRequestHeader(TestAuthHandler.UserHeader, user);
        }

        if (role is not null)
        {
            client.Options.SetRequestHeader(TestAuthHandler.RoleHeader, role);
        }

        if (expected != HttpStatusCode.SwitchingProtocols)
        {
            await Assert.ThrowsAnyAsync<WebSocketException>(() => client.ConnectAsync(app.WebSocketUri(path), Ct));
            Assert.Equal(expected, client.HttpStatusCode);
            Assert.Equal(0, handler.ConnectedCount);
            return;
        }

        await client.ConnectAsync(app.WebSocketUri(path), Ct);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, client.HttpStatusCode);
        await client.SendAsync("who am I?"u8.ToArray(), WebSocketMessageType.Text, true, Ct);
        var buffer = new byte[256];
        var result = await client.ReceiveAsync(buffer, Ct);
        Assert.Equal($"{user}|True|True", Encoding.UTF8.GetString(buffer, 0, result.Count));

        var connection = await handler.NextConnectedAsync();
        Assert.Equal(user, connection.HttpContext.User.FindFirstValue(ClaimTypes.Name));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }
}
