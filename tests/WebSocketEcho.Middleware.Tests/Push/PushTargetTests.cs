namespace WebSocketEcho.Middleware.Tests.Push;

/// <summary>
/// Who a push reaches: All, All except the sender, one connection, a list of connections, a group, several groups (a member
/// of two of them gets the message once), and Except combined with groups. Each client's next message after the pushes is
/// a marker sent to it alone, which proves it got nothing it should not have.
/// </summary>
public sealed class PushTargetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task All_and_All_except_the_sender_reach_exactly_the_expected_connections(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        var members = await app.ConnectManyAsync("/ws", 4);
        var push = app.Push<AlphaHandler>();

        var all = await push.All.SendTextAsync("everyone", Ct);
        Assert.Equal(4, all.Reached);
        Assert.Equal(BackplaneDelivery.None, all.Backplane);
        foreach (var member in members)
        {
            Assert.Equal("everyone", await member.ReceiveTextAsync());
        }

        Assert.Equal(3, (await push.All.Except(members[0].Id).SendTextAsync("not 0", Ct)).Reached);
        Assert.Equal(2, (await push.All.Except(members[1].Id, members[2].Id).SendTextAsync("not 1 2", Ct)).Reached);
        Assert.Equal(2, (await push.All.Except(members[1].Id).Except(members[3].Id).SendTextAsync("not 1 3", Ct)).Reached);

        // A long exclusion list (looked up by hash rather than scanned): ten unknown ids and one real one.
        var many = Enumerable.Range(0, 10).Select(i => "unknown-" + i).Append(members[2].Id).ToArray();
        Assert.Equal(3, (await push.All.Except(many).SendTextAsync("not 2 (long list)", Ct)).Reached);

        await app.ExpectExactlyAsync<AlphaHandler>(members[0], "not 1 2", "not 1 3", "not 2 (long list)");
        await app.ExpectExactlyAsync<AlphaHandler>(members[1], "not 0", "not 2 (long list)");
        await app.ExpectExactlyAsync<AlphaHandler>(members[2], "not 0", "not 1 3");
        await app.ExpectExactlyAsync<AlphaHandler>(members[3], "not 0", "not 1 2", "not 2 (long list)");
        Dispose(members);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_connection_by_id_and_a_list_of_connections_reach_each_listed_connection_once(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        var members = await app.ConnectManyAsync("/ws", 4);
        var push = app.Push<AlphaHandler>();

        Assert.Equal(1, (await push.Connection(members[2].Id).SendTextAsync("only 2", Ct)).Reached);
        Assert.Equal(2, (await push.Connections(members[0].Id, members[3].Id).SendTextAsync("0 and 3", Ct)).Reached);

        // Listed twice, and listed together with an id nobody has: still once, and only the open one counts.
        Assert.Equal(1, (await push.Connections(members[1].Id, members[1].Id, "nobody").SendTextAsync("1 once", Ct)).Reached);
        Assert.Equal(2, (await push.Connections(new List<string> { members[0].Id, members[1].Id, members[2].Id }).Except(members[0].Id).SendTextAsync("1 2", Ct)).Reached);

        await app.ExpectExactlyAsync<AlphaHandler>(members[0], "0 and 3");
        await app.ExpectExactlyAsync<AlphaHandler>(members[1], "1 once", "1 2");
        await app.ExpectExactlyAsync<AlphaHandler>(members[2], "only 2", "1 2");
        await app.ExpectExactlyAsync<AlphaHandler>(members[3], "0 and 3");
        Dispose(members);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_group_several_groups_once_per_member_and_except_combined_with_groups(bool kestrel)
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel);
        var members = await app.ConnectManyAsync("/ws", 5);
        var push = app.Push<AlphaHandler>();

        // red: 0 1 2; blue: 2 3; green: nobody. 4 is in no group.
        foreach (var (member, group) in new[] { (0, "red"), (1, "red"), (2, "red"), (2, "blue"), (3, "blue") })
        {
            Assert.True(await push.AddToGroupAsync(members[member].Id, group, Ct));
        }

        Assert.Equal(3, (await push.Group("red").SendTextAsync("red", Ct)).Reached);
        Assert.Equal(2, (await push.Group("blue").SendTextAsync("blue", Ct)).Reached);
        Assert.Equal(0, (await push.Group("green").SendTextAsync("green", Ct)).Reached);

        // 2 is in red and blue: once. A group listed twice counts once, an empty one adds nobody.
        Assert.Equal(4, (await push.Groups("red", "blue").SendTextAsync("red+blue", Ct)).Reached);
        Assert.Equal(4, (await push.Groups(new[] { "blue", "red", "blue", "green" }).SendTextAsync("blue+red+blue+green", Ct)).Reached);

        // Except with groups: the sender is left out of every group it is in, others are not affected.
        Assert.Equal(2, (await push.Group("red").Except(members[2].Id).SendTextAsync("red but 2", Ct)).Reached);
        Assert.Equal(2, (await push.Groups("red", "blue").Except(members[2].Id, members[0].Id).SendTextAsync("red+blue but 2 0", Ct)).Reached);
        Assert.Equal(4, (await push.Groups("red", "blue").Except(members[4].Id).SendTextAsync("red+blue but 4 (not a member)", Ct)).Reached);

        await app.ExpectExactlyAsync<AlphaHandler>(members[0], "red", "red+blue", "blue+red+blue+green", "red but 2", "red+blue but 4 (not a member)");
        await app.ExpectExactlyAsync<AlphaHandler>(members[1], "red", "red+blue", "blue+red+blue+green", "red but 2", "red+blue but 2 0", "red+blue but 4 (not a member)");
        await app.ExpectExactlyAsync<AlphaHandler>(members[2], "red", "blue", "red+blue", "blue+red+blue+green", "red+blue but 4 (not a member)");
        await app.ExpectExactlyAsync<AlphaHandler>(members[3], "blue", "red+blue", "blue+red+blue+green", "red+blue but 2 0", "red+blue but 4 (not a member)");
        await app.ExpectExactlyAsync<AlphaHandler>(members[4]);
        Dispose(members);
    }

    [Fact]
    public async Task A_target_describes_itself_and_Except_returns_a_new_target_leaving_the_original_unchanged()
    {
        await using var app = await PushApp.StartAlphaAsync(kestrel: false);
        var push = app.Push<AlphaHandler>();

        var room = push.Groups("a", "b");
        var narrowed = room.Except("x", "y").Except("z");

        Assert.Equal(PushTargetKind.Groups, room.Kind);
        Assert.Equal(["a", "b"], room.Keys);
        Assert.Empty(room.ExcludedConnectionIds);
        Assert.Equal(["x", "y", "z"], narrowed.ExcludedConnectionIds);
        Assert.Equal("Groups [a, b] except [x, y, z]", narrowed.ToString());
        Assert.Equal("All", push.All.ToString());
        Assert.Equal(PushTargetKind.All, push.All.Kind);
        Assert.Empty(push.All.Keys);
        Assert.Equal(PushTargetKind.Connections, push.Connection("c").Kind);
        Assert.Equal(PushTargetKind.Users, push.User("u").Kind);
        Assert.Equal("Users [u, v]", push.Users("u", "v", "u").ToString());
    }


    private static void Dispose(Member[] members)
    {
        foreach (var member in members)
        {
            member.Dispose();
        }
    }
}
