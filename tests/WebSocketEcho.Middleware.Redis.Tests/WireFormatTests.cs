using System.Net.WebSockets;
using System.Text;

namespace WebSocketEcho.Middleware.Redis.Tests;

/// <summary>The frames of the wire format (docs/redis.md, "Wire format"): layout, round trips, and refusal of anything malformed.</summary>
public sealed class WireFormatTests
{
    private static readonly BackplaneMessage s_message = new(
        "Chat.Handler", PushTargetKind.Groups, ["room", "lobby"], ["abcdefghij-1"], WebSocketMessageType.Text, Encoding.UTF8.GetBytes("héllo"));

    [Fact]
    public void A_push_frame_starts_with_version_1_and_type_1_then_the_publisher_and_round_trips_every_field()
    {
        var frame = PushFrame.Encode("instanceid", 42, s_message, s_message.Keys);

        Assert.Equal(new byte[] { 1, 1, 10 }, frame[..3]);
        Assert.Equal("instanceid", Encoding.UTF8.GetString(frame, 3, 10));
        Assert.Equal(42UL, BitConverter.ToUInt64(frame, 13));
        Assert.True(PushFrame.IsFrom(frame, "instanceid"u8));
        Assert.False(PushFrame.IsFrom(frame, "instancei"u8));

        Assert.True(PushFrame.TryDecode(frame, out var decoded));
        Assert.Equal(("instanceid", 42UL), (decoded!.Publisher, decoded.Sequence));
        var message = decoded.Message;
        Assert.Equal(("Chat.Handler", PushTargetKind.Groups, WebSocketMessageType.Text), (message.Scope, message.TargetKind, message.MessageType));
        Assert.Equal(["room", "lobby"], message.Keys);
        Assert.Equal(["abcdefghij-1"], message.ExcludedConnectionIds);
        Assert.Equal("héllo", Encoding.UTF8.GetString(message.Payload.Span));
    }

    [Fact]
    public void A_frame_cut_short_anywhere_or_with_a_byte_too_many_is_refused_without_throwing()
    {
        var frame = PushFrame.Encode("instanceid", 7, s_message, s_message.Keys);
        for (var length = 0; length < frame.Length; length++)
        {
            Assert.False(PushFrame.TryDecode(frame.AsSpan(0, length), out _), $"A frame cut to {length} of {frame.Length} bytes was accepted.");
        }

        Assert.False(PushFrame.TryDecode([.. frame, 0], out _));
    }

    [Fact]
    public void Text_that_is_not_UTF_8_is_refused_and_the_same_bytes_as_binary_are_accepted()
    {
        byte[] invalid = [0xC3, 0x28];
        var text = new BackplaneMessage("S", PushTargetKind.All, [], [], WebSocketMessageType.Text, invalid);
        var binary = new BackplaneMessage("S", PushTargetKind.All, [], [], WebSocketMessageType.Binary, invalid);

        Assert.False(PushFrame.TryDecode(PushFrame.Encode("p", 1, text, []), out _));
        Assert.True(PushFrame.TryDecode(PushFrame.Encode("p", 1, binary, []), out var decoded));
        Assert.Equal(invalid, decoded!.Message.Payload.ToArray());
    }

    [Fact]
    public void A_key_count_larger_than_the_frame_could_hold_is_refused()
    {
        var frame = PushFrame.Encode("p", 1, new BackplaneMessage("S", PushTargetKind.Users, ["u"], [], WebSocketMessageType.Binary, new byte[] { 9 }), ["u"]);
        var keyCount = Array.IndexOf(frame, (byte)1, 2 + 2 + 8 + 2 + 2);
        frame[keyCount] = 0x7F;

        Assert.False(PushFrame.TryDecode(frame, out _));
    }

    [Fact]
    public void The_header_gives_the_version_of_any_frame_so_an_unknown_one_can_be_skipped()
    {
        var frame = PushFrame.Encode("p", 1, s_message, s_message.Keys);
        frame[0] = 99;

        Assert.True(WireFormat.TryReadHeader(frame, out var version, out var type));
        Assert.Equal((99, FrameType.Push), (version, type));
        Assert.False(WireFormat.TryReadHeader([1], out _, out _));
    }

    [Fact]
    public void Group_change_requests_and_answers_round_trip_and_refuse_a_join_flag_other_than_0_or_1()
    {
        var request = new GroupChangeRequest("requester1", ulong.MaxValue, "Chat.Handler", "abcdefghij-2a", "room:1", Join: true);
        var answer = new GroupChangeAnswer("responder1", 5, Found: false);

        var requestFrame = request.Encode();
        Assert.Equal(new byte[] { 1, 2 }, requestFrame[..2]);
        Assert.True(GroupChangeRequest.TryDecode(requestFrame, out var decodedRequest));
        Assert.Equal(request, decodedRequest);
        Assert.True(GroupChangeAnswer.TryDecode(answer.Encode(), out var decodedAnswer));
        Assert.Equal(answer, decodedAnswer);

        requestFrame[^1] = 2;
        Assert.False(GroupChangeRequest.TryDecode(requestFrame, out _));
    }

    [Fact]
    public void A_sequence_at_or_below_the_highest_seen_from_a_publisher_on_a_channel_is_a_duplicate()
    {
        var sequences = new PublisherSequences();

        Assert.True(sequences.TryAdvance("a", 1));
        Assert.True(sequences.TryAdvance("a", 3));
        Assert.False(sequences.TryAdvance("a", 3));
        Assert.False(sequences.TryAdvance("a", 2));
        Assert.True(sequences.TryAdvance("b", 1));
        Assert.True(sequences.TryAdvance("a", 4));
    }
}
