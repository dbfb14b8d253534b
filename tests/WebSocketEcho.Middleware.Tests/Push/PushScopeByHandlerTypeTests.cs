using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// <see cref="IWebSocketPush{THandler}"/> reaches the connections of every endpoint served by <c>THandler</c>, however the
/// endpoint was added (UseWebSocketHandler or MapWebSocketHandler, with an instance or from DI), and no other connection.
/// </summary>
public sealed class PushScopeByHandlerTypeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, bool> MappingsOnBothServers()
    {
        var data = new TheoryData<string, bool>();
        foreach (var mapping in new[] { "use-instance", "use-generic", "map-instance", "map-generic" })
        {
            data.Add(mapping, true);
            data.Add(mapping, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MappingsOnBothServers))]
    public async Task Each_way_of_adding_an_endpoint_makes_its_connections_reachable_by_all_by_id_and_by_group(string mapping, bool kestrel)
    {
        await using var app = await PushApp.StartAsync(
            kestrel,
            a =>
            {
                _ = mapping switch
                {
                    "use-instance" => a.UseWebSocketHandler("/alpha", new AlphaHandler()),
                    "use-generic" => a.UseWebSocketHandler<AlphaHandler>("/alpha"),
                    "map-instance" => a.MapWebSocketHandler("/alpha", new AlphaHandler()),
                    _ => (object)a.MapWebSocketHandler<AlphaHandler>("/alpha"),
                };
            },
            services =>
            {
                // Handler instances need AddWebSocketPush(); AddWebSocketHandler<T>() brings it for DI handlers.
                if (mapping.EndsWith("instance", StringComparison.Ordinal))
                {
                    services.AddWebSocketPush();
                }
                else
                {
                    services.AddWebSocketHandler<AlphaHandler>();
                }
            });
        using var a = await app.ConnectAsync("/alpha");
        using var b = await app.ConnectAsync("/alpha");
        var push = app.Push<AlphaHandler>();

        Assert.Equal(2, (await push.All.SendTextAsync("to all", Ct)).Reached);
        Assert.Equal("to all", await a.ReceiveTextAsync());
        Assert.Equal("to all", await b.ReceiveTextAsync());

        Assert.Equal(1, (await push.Connection(b.Id).SendTextAsync("to b", Ct)).Reached);
        Assert.Equal("to b", await b.ReceiveTextAsync());

        Assert.Equal("joined:g:True", await a.AskAsync("join:g"));
        Assert.Equal(1, (await push.Group("g").SendTextAsync("to g", Ct)).Reached);
        Assert.Equal("to g", await a.ReceiveTextAsync());

        // Nobody got anything else.
        await app.ExpectExactlyAsync<AlphaHandler>(a);
        await app.ExpectExactlyAsync<AlphaHandler>(b);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_handler_types_are_two_scopes_and_one_handler_type_on_several_endpoints_is_one_scope(bool kestrel)
    {
        await using var app = await PushApp.StartAsync(
            kestrel,
            a =>
            {
                // Alpha on three endpoints, added three ways; Beta on one.
                a.UseWebSocketHandler<AlphaHandler>("/alpha/use");
                a.MapWebSocketHandler("/alpha/map", new AlphaHandler());
                a.MapWebSocketHandler<AlphaHandler>("/alpha/rooms/{room}");
                a.MapWebSocketHandler<BetaHandler>("/beta");
            },
            services =>
            {
                services.AddWebSocketHandler<AlphaHandler>();
                services.AddWebSocketHandler<BetaHandler>();
            });
        using var alphaUse = await app.ConnectAsync("/alpha/use");
        using var alphaMap = await app.ConnectAsync("/alpha/map");
        using var alphaRoom = await app.ConnectAsync("/alpha/rooms/red");
        using var beta = await app.ConnectAsync("/beta");
        var alpha = app.Push<AlphaHandler>();
        var betaPush = app.Push<BetaHandler>();

        // All of Alpha: its three endpoints, not Beta's.
        Assert.Equal(3, (await alpha.All.SendTextAsync("alpha all", Ct)).Reached);
        foreach (var member in new[] { alphaUse, alphaMap, alphaRoom })
        {
            Assert.Equal("alpha all", await member.ReceiveTextAsync());
        }

        Assert.Equal(1, (await betaPush.All.SendTextAsync("beta all", Ct)).Reached);
        Assert.Equal("beta all", await beta.ReceiveTextAsync());

        // A connection id is reachable only through its own handler type's push.
        Assert.Equal(0, (await alpha.Connection(beta.Id).SendTextAsync("wrong scope", Ct)).Reached);
        Assert.Equal(0, (await betaPush.Connection(alphaUse.Id).SendTextAsync("wrong scope", Ct)).Reached);
        Assert.False(await alpha.AddToGroupAsync(beta.Id, "g", Ct));

        // Group names are per scope: "g" of Alpha and "g" of Beta are two groups.
        Assert.Equal("joined:g:True", await alphaMap.AskAsync("join:g"));
        Assert.Equal("joined:g:True", await beta.AskAsync("join:g"));
        Assert.True(await alpha.AddToGroupAsync(alphaRoom.Id, "g", Ct));
        Assert.Equal(2, (await alpha.Group("g").SendTextAsync("alpha g", Ct)).Reached);
        Assert.Equal(1, (await betaPush.Group("g").SendTextAsync("beta g", Ct)).Reached);
        Assert.Equal("alpha g", await alphaMap.ReceiveTextAsync());
        Assert.Equal("alpha g", await alphaRoom.ReceiveTextAsync());
        Assert.Equal("beta g", await beta.ReceiveTextAsync());
        Assert.Equal(1, app.Scope<AlphaHandler>().GroupCount);
        Assert.Equal(1, app.Scope<BetaHandler>().GroupCount);

        // Nothing leaked across: each one's next message is its own marker.
        await app.ExpectExactlyAsync<AlphaHandler>(alphaUse);
        await app.ExpectExactlyAsync<AlphaHandler>(alphaMap);
        await app.ExpectExactlyAsync<AlphaHandler>(alphaRoom);
        await app.ExpectExactlyAsync<BetaHandler>(beta);
    }

    [Fact]
    public async Task The_push_of_a_handler_type_is_one_singleton_shared_by_every_consumer()
    {
        await using var app = await PushApp.StartAsync(
            kestrel: false,
            a => a.UseWebSocketHandler<AlphaHandler>("/alpha"),
            services => services.AddWebSocketHandler<AlphaHandler>());
        using var scope = app.Services.CreateScope();

        Assert.Same(app.Push<AlphaHandler>(), scope.ServiceProvider.GetRequiredService<IWebSocketPush<AlphaHandler>>());
        Assert.NotSame((object)app.Push<AlphaHandler>(), app.Services.GetRequiredService<IWebSocketPush<BetaHandler>>());
    }
}
