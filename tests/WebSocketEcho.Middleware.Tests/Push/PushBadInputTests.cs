using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Bad input to the push service gets its documented answer, at once, and leaves nothing behind: null or empty names and
/// ids throw an <see cref="ArgumentException"/> naming the parameter; ids of connections that do not exist or ended reach
/// nobody (Reached 0, AddToGroupAsync false); a handler type that no endpoint serves reaches nobody; text that is not
/// valid UTF-8 (bytes) or not encodable (unpaired surrogates) throws <see cref="ArgumentException"/>; a
/// <c>default(PushTarget)</c> throws <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class PushBadInputTests
{
    private static readonly TimeSpan s_noHang = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> NullOrEmptyArguments() => new()
    {
        { "Connection(null)", "connectionId" },
        { "Connection(\"\")", "connectionId" },
        { "Connections(null)", "connectionIds" },
        { "Connections(a, null)", "connectionIds" },
        { "Connections(a, \"\")", "connectionIds" },
        { "User(null)", "userId" },
        { "User(\"\")", "userId" },
        { "Users(null)", "userIds" },
        { "Users(a, null)", "userIds" },
        { "Users(\"\")", "userIds" },
        { "Group(null)", "groupName" },
        { "Group(\"\")", "groupName" },
        { "Groups(null)", "groupNames" },
        { "Groups(a, null)", "groupNames" },
        { "Groups(a, \"\")", "groupNames" },
        { "All.Except(null)", "connectionIds" },
        { "All.Except(a, \"\")", "connectionIds" },
        { "Group(g).Except(null)", "connectionIds" },
        { "AddToGroupAsync(null, g)", "connectionId" },
        { "AddToGroupAsync(\"\", g)", "connectionId" },
        { "AddToGroupAsync(id, null)", "groupName" },
        { "AddToGroupAsync(id, \"\")", "groupName" },
        { "RemoveFromGroupAsync(null, g)", "connectionId" },
        { "RemoveFromGroupAsync(\"\", g)", "connectionId" },
        { "RemoveFromGroupAsync(id, null)", "groupName" },
        { "RemoveFromGroupAsync(id, \"\")", "groupName" },
    };

    [Theory]
    [MemberData(nameof(NullOrEmptyArguments))]
    public async Task A_null_or_empty_name_or_id_throws_an_ArgumentException_naming_the_parameter(string call, string parameter)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: false);
        using var member = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();
        Func<Task> act = call switch
        {
            "Connection(null)" => () => Send(push.Connection(null!)),
            "Connection(\"\")" => () => Send(push.Connection(string.Empty)),
            "Connections(null)" => () => Send(push.Connections(null!)),
            "Connections(a, null)" => () => Send(push.Connections(member.Id, null!)),
            "Connections(a, \"\")" => () => Send(push.Connections(member.Id, string.Empty)),
            "User(null)" => () => Send(push.User(null!)),
            "User(\"\")" => () => Send(push.User(string.Empty)),
            "Users(null)" => () => Send(push.Users(null!)),
            "Users(a, null)" => () => Send(push.Users("a", null!)),
            "Users(\"\")" => () => Send(push.Users(string.Empty)),
            "Group(null)" => () => Send(push.Group(null!)),
            "Group(\"\")" => () => Send(push.Group(string.Empty)),
            "Groups(null)" => () => Send(push.Groups(null!)),
            "Groups(a, null)" => () => Send(push.Groups("a", null!)),
            "Groups(a, \"\")" => () => Send(push.Groups("a", string.Empty)),
            "All.Except(null)" => () => Send(push.All.Except(null!)),
            "All.Except(a, \"\")" => () => Send(push.All.Except(member.Id, string.Empty)),
            "Group(g).Except(null)" => () => Send(push.Group("g").Except(null!)),
            "AddToGroupAsync(null, g)" => async () => await push.AddToGroupAsync(null!, "g", Ct),
            "AddToGroupAsync(\"\", g)" => async () => await push.AddToGroupAsync(string.Empty, "g", Ct),
            "AddToGroupAsync(id, null)" => async () => await push.AddToGroupAsync(member.Id, null!, Ct),
            "AddToGroupAsync(id, \"\")" => async () => await push.AddToGroupAsync(member.Id, string.Empty, Ct),
            "RemoveFromGroupAsync(null, g)" => async () => await push.RemoveFromGroupAsync(null!, "g", Ct),
            "RemoveFromGroupAsync(\"\", g)" => async () => await push.RemoveFromGroupAsync(string.Empty, "g", Ct),
            "RemoveFromGroupAsync(id, null)" => async () => await push.RemoveFromGroupAsync(member.Id, null!, Ct),
            _ => async () => await push.RemoveFromGroupAsync(member.Id, string.Empty, Ct),
        };

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(act).WaitAsync(s_noHang, Ct);
        Assert.Equal(parameter, error.ParamName);

        // Nothing was sent or changed.
        Assert.Equal(0, app.Scope<AlphaHandler>().GroupCount);
        await app.ExpectExactlyAsync<AlphaHandler>(member);

        static async Task Send(PushTarget target) => await target.SendTextAsync("must not be sent", Ct);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ids_of_connections_that_do_not_exist_or_ended_reach_nobody_and_cannot_join_or_leave_a_group(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        using var stays = await app.ConnectAsync("/ws");
        var ended = await app.ConnectAsync("/ws");
        await ended.CloseAsync();
        ended.Dispose();
        await app.App.WaitForConnectionClosedLogAsync(ended.Id);
        var push = app.Push<AlphaHandler>();
        var instance = app.Services.GetRequiredService<PushHubs>().InstanceId;
        string[] ids =
        [
            ended.Id,
            "not-an-id",
            instance + "-ffffff",                  // this instance's form, never issued
            (instance == "aaaaaaaaaa" ? "bbbbbbbbbb" : "aaaaaaaaaa") + "-1", // another instance's form, no backplane to reach it
            " ",
        ];

        foreach (var id in ids)
        {
            Assert.Equal(0, (await push.Connection(id).SendTextAsync("x", Ct).AsTask().WaitAsync(s_noHang, Ct)).Reached);
            Assert.Equal(0, (await push.Connection(id).SendBinaryAsync(new byte[] { 1 }, Ct).AsTask().WaitAsync(s_noHang, Ct)).Reached);
            Assert.False(await push.AddToGroupAsync(id, "g", Ct).AsTask().WaitAsync(s_noHang, Ct));
            Assert.False(await push.RemoveFromGroupAsync(id, "g", Ct).AsTask().WaitAsync(s_noHang, Ct));
        }

        Assert.Equal(1, (await push.Connections([.. ids, stays.Id]).SendTextAsync("only the open one", Ct)).Reached);
        Assert.Equal(1, (await push.All.Except(ids).SendTextAsync("all but unknown ids: everyone", Ct)).Reached);
        Assert.Equal(0, app.Scope<AlphaHandler>().GroupCount);
        Assert.Equal(1, app.Scope<AlphaHandler>().ConnectionCount);
        await app.ExpectExactlyAsync<AlphaHandler>(stays, "only the open one", "all but unknown ids: everyone");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_push_of_a_handler_type_that_no_endpoint_serves_reaches_nobody_and_does_not_throw(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        using var alpha = await app.ConnectAsync("/ws");
        Assert.True(await app.Push<AlphaHandler>().AddToGroupAsync(alpha.Id, "g", Ct));
        var never = app.Push<NeverMappedHandler>();

        Assert.Equal(0, (await never.All.SendTextAsync("x", Ct)).Reached);
        Assert.Equal(0, (await never.Group("g").SendTextAsync("x", Ct)).Reached);
        Assert.Equal(0, (await never.Users("u").SendBinaryAsync(new byte[] { 1 }, Ct)).Reached);
        Assert.Equal(0, (await never.Connection(alpha.Id).SendTextAsync("x", Ct)).Reached);
        Assert.False(await never.AddToGroupAsync(alpha.Id, "g", Ct));
        Assert.False(await never.RemoveFromGroupAsync(alpha.Id, "g", Ct));
        Assert.Equal(0, app.Scope<NeverMappedHandler>().GroupCount);
        await app.ExpectExactlyAsync<AlphaHandler>(alpha);
    }

    public static TheoryData<byte[]> InvalidUtf8() => new()
    {
        new byte[] { 0xC3, 0x28 },             // a lead byte followed by a non-continuation byte
        new byte[] { 0xFF },                   // never valid
        new byte[] { 0xC0, 0xAF },             // overlong encoding of '/'
        new byte[] { 0xED, 0xA0, 0x80 },       // an encoded surrogate (U+D800)
        new byte[] { 0x61, 0xE2, 0x82 },       // truncated at the end
        new byte[] { 0xF4, 0x90, 0x80, 0x80 }, // above U+10FFFF
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Text_bytes_that_are_not_valid_UTF8_throw_an_ArgumentException_naming_utf8Text_and_nothing_is_sent(byte[] bytes)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: false);
        using var member = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await push.All.SendTextAsync(bytes, Ct));
        Assert.Equal("utf8Text", error.ParamName);

        // The same bytes as binary are fine.
        Assert.Equal(1, (await push.All.SendBinaryAsync(bytes, Ct)).Reached);
        Assert.Equal(bytes, (await member.ReceiveAsync()).Payload);
        await app.ExpectExactlyAsync<AlphaHandler>(member);
    }

    /// <summary>Strings with unpaired surrogates; passed by index, since a test framework cannot carry them as data.</summary>
    private static readonly string[] s_unpairedSurrogates = ["\ud800", "a\udc00b", "\udbff\ud800", "ok \ud83d"];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_string_with_an_unpaired_surrogate_throws_an_ArgumentException_naming_text_and_nothing_is_sent(int index)
    {
        var text = s_unpairedSurrogates[index];
        Assert.Contains(text.EnumerateRunes(), r => r == Rune.ReplacementChar); // an unpaired surrogate reads as U+FFFD
        await using var app = await PushApp.StartAlphaAsync(kestrel: false);
        using var member = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await push.All.SendTextAsync(text, Ct));
        Assert.Equal("text", error.ParamName);
        var missing = await Assert.ThrowsAsync<ArgumentNullException>(async () => await push.All.SendTextAsync((string)null!, Ct));
        Assert.Equal("text", missing.ParamName);
        await app.ExpectExactlyAsync<AlphaHandler>(member);
    }

    [Fact]
    public async Task A_default_PushTarget_says_it_is_All_but_throws_InvalidOperationException_for_every_send_and_Except()
    {
        var target = default(PushTarget);

        Assert.Equal(PushTargetKind.All, target.Kind);
        Assert.Empty(target.Keys);
        Assert.Empty(target.ExcludedConnectionIds);
        Assert.Equal("All", target.ToString());
        var text = await Assert.ThrowsAsync<InvalidOperationException>(async () => await target.SendTextAsync("x", Ct));
        Assert.Contains("IWebSocketPush", text.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await target.SendTextAsync("x"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await target.SendBinaryAsync(new byte[] { 1 }, Ct));
        Assert.Throws<InvalidOperationException>(() => target.Except("a"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Empty_lists_reach_nobody_and_an_empty_exclusion_list_leaves_nobody_out(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        using var member = await app.ConnectAsync("/ws");
        var push = app.Push<AlphaHandler>();
        Assert.True(await push.AddToGroupAsync(member.Id, "g", Ct));

        Assert.Equal(0, (await push.Connections([]).SendTextAsync("x", Ct)).Reached);
        Assert.Equal(0, (await push.Users(new List<string>()).SendTextAsync("x", Ct)).Reached);
        Assert.Equal(0, (await push.Groups(Array.Empty<string>()).SendTextAsync("x", Ct)).Reached);
        Assert.Equal(1, (await push.All.Except().SendTextAsync("all", Ct)).Reached);
        Assert.Equal(1, (await push.Group("g").Except([]).SendTextAsync("g", Ct)).Reached);
        await app.ExpectExactlyAsync<AlphaHandler>(member, "all", "g");
    }

    [Fact]
    public void A_PushResult_refuses_a_negative_count_and_its_default_reached_nobody_without_a_backplane()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PushResult(-1, BackplaneDelivery.None));
        Assert.Equal("reached", error.ParamName);
        Assert.Equal(0, default(PushResult).Reached);
        Assert.Equal(BackplaneDelivery.None, default(PushResult).Backplane);
        Assert.Equal("Reached 3 here, backplane Published", new PushResult(3, BackplaneDelivery.Published).ToString());
    }
}
