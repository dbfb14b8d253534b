using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// Autobahn|Testsuite section 6 (UTF-8 Handling), RFC 6455 sections 5.6 and 8.1: valid text with 1- to 4-byte
/// sequences comes back intact however it is split into fragments; invalid UTF-8 (stray or impossible bytes, overlong
/// forms, surrogates, code points above U+10FFFF, sequences cut short) fails the connection with 1007, whether it
/// arrives in one frame, split between two fragments at any byte, or one byte per fragment.
/// </summary>
public sealed class Utf8HandlingTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    /// <summary>Split value meaning: the message is one frame.</summary>
    public const int Whole = -1;

    /// <summary>Split value meaning: every byte is a fragment of its own.</summary>
    public const int BytePerFragment = -2;

    /// <summary>"a", U+00A2, U+20AC, U+10348, "z": one sequence of each length, 11 bytes.</summary>
    private const string MixedHex = "61 C2A2 E282AC F0908D88 7A";

    private static readonly (string Name, string Hex)[] s_validSamples =
    [
        ("ascii", "48656C6C6F"),
        ("mixed 1-4 byte sequences", MixedHex),
        ("U+0080 lowest 2-byte", "C280"),
        ("U+07FF highest 2-byte", "DFBF"),
        ("U+0800 lowest 3-byte", "E0A080"),
        ("U+D7FF below the surrogates", "ED9FBF"),
        ("U+E000 above the surrogates", "EE8080"),
        ("U+FFFD replacement character", "EFBFBD"),
        ("U+FFFF highest 3-byte", "EFBFBF"),
        ("U+10000 lowest 4-byte", "F0908080"),
        ("U+10FFFF highest code point", "F48FBFBF"),
    ];

    /// <summary>Invalid sequences; those marked atEnd are cut short by the end of the message, the others sit between valid text.</summary>
    private static readonly (string Name, string Hex, bool AtEnd)[] s_invalidSamples =
    [
        ("lone continuation byte", "80", false),
        ("byte FE", "FE", false),
        ("byte FF", "FF", false),
        ("overlong 2-byte '/'", "C0AF", false),
        ("overlong 2-byte U+007F", "C1BF", false),
        ("overlong 3-byte '/'", "E080AF", false),
        ("overlong 3-byte U+07FF", "E09FBF", false),
        ("overlong 4-byte '/'", "F08080AF", false),
        ("overlong 4-byte U+FFFF", "F08FBFBF", false),
        ("surrogate U+D800", "EDA080", false),
        ("surrogate U+DFFF", "EDBFBF", false),
        ("surrogate pair as CESU-8", "EDA080EDB080", false),
        ("U+110000 above the range", "F4908080", false),
        ("F7 lead above the range", "F7BFBFBF", false),
        ("5-byte form", "F888808080", false),
        ("6-byte form", "FC8480808080", false),
        ("2-byte lead then ASCII", "C241", false),
        ("3-byte lead truncated by ASCII", "E28241", false),
        ("4-byte lead truncated by ASCII", "F09F9841", false),
        ("2-byte sequence cut by the end", "CE", true),
        ("3-byte sequence cut by the end", "E282", true),
        ("4-byte sequence cut by the end", "F09F98", true),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Each valid sample whole and byte per fragment; the mixed sample also split in two at every byte position.</summary>
    public static TheoryData<string, string, int> ValidCases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (name, hex) in s_validSamples)
        {
            data.Add(name, hex, Whole);
            data.Add(name, hex, BytePerFragment);
        }

        var mixedLength = TestPayloads.Hex(MixedHex).Length;
        for (var split = 0; split <= mixedLength; split++)
        {
            data.Add("mixed 1-4 byte sequences", MixedHex, split);
        }

        return data;
    }

    /// <summary>Each invalid sample (after the prefix "ok") whole, byte per fragment, and split in two at every position from just before it to just after it.</summary>
    public static TheoryData<string, string, int> InvalidCases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (name, hex, atEnd) in s_invalidSamples)
        {
            var payload = "6F6B" + hex + (atEnd ? string.Empty : "6F6B");
            data.Add(name, payload, Whole);
            data.Add(name, payload, BytePerFragment);
            for (var split = 2; split <= 2 + (hex.Length / 2); split++)
            {
                data.Add(name, payload, split);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ValidCases))]
    public async Task Valid_text_is_echoed_intact_whole_or_split(string sample, string hex, int split)
    {
        _ = sample;
        await using var client = await server.ConnectAsync();
        var payload = TestPayloads.Hex(hex);

        await client.WriteRawAsync(Fragment(payload, split), Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public async Task Invalid_text_fails_with_1007_whole_or_split(string sample, string hex, int split)
    {
        _ = sample;
        await using var client = await server.ConnectAsync();

        await client.WriteRawAsync(Fragment(TestPayloads.Hex(hex), split), Ct);

        await ConformanceAssert.FailsWithAsync(client, 1007);
    }

    /// <summary>
    /// Pins "fail fast": the platform checks UTF-8 as fragments arrive, so the first fragment of a message that can
    /// never become valid fails the connection at once; the server does not wait for the rest of the message.
    /// </summary>
    [Fact]
    public async Task Invalid_first_fragment_fails_with_1007_before_the_message_ends()
    {
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(Frame.Text, TestPayloads.Hex("6F6B EDA080 6F6B"), fin: false, cancellationToken: Ct);

        await ConformanceAssert.FailsWithAsync(client, 1007);
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_binary_message_is_echoed_because_binary_is_not_text()
    {
        await using var client = await server.ConnectAsync();
        var payload = TestPayloads.Hex("C0AF EDA080 F4908080 FF");

        await client.SendFrameAsync(Frame.Binary, payload, cancellationToken: Ct);

        await ConformanceAssert.ExpectMessageAsync(client, Frame.Binary, payload);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    private static byte[] Fragment(byte[] payload, int split) => split switch
    {
        Whole => TestPayloads.ClientFrame(Frame.Text, payload),
        BytePerFragment when payload.Length > 1 => TestPayloads.Fragmented(Frame.Text, payload, [.. Enumerable.Range(1, payload.Length - 1)]),
        BytePerFragment => TestPayloads.ClientFrame(Frame.Text, payload),
        _ => TestPayloads.Fragmented(Frame.Text, payload, split),
    };
}
