using System.Text;
using WebSocketEcho.Middleware.Tests.Infrastructure;

namespace WebSocketEcho.Middleware.Tests.Conformance;

/// <summary>
/// RFC 6455 section 4 (opening handshake), with raw HTTP requests (Autobahn|Testsuite does not test it): a valid
/// request gets 101 with the right headers; every malformed one gets a precise HTTP status, a body that names the
/// problem, and no upgrade.
/// </summary>
public sealed class OpeningHandshakeTests(ConformanceServer server) : IClassFixture<ConformanceServer>
{
    private const string Key = RawWebSocketClient.RfcSampleKey;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Refused requests: what is wrong, the request head, the status, a phrase the body must contain, and a header the response must carry ("" for none).</summary>
    public static TheoryData<string, string, int, string, string> Refusals() => new()
    {
        { "no Sec-WebSocket-Key", Request(omit: "Sec-WebSocket-Key"), 400, "Sec-WebSocket-Key header is missing", "" },
        { "key not base64", Request(replace: ("Sec-WebSocket-Key", "not*base64*at*all*16chr")), 400, "base64 encoding of 16 bytes", "" },
        { "key of 15 bytes", Request(replace: ("Sec-WebSocket-Key", Convert.ToBase64String(new byte[15]))), 400, "base64 encoding of 16 bytes", "" },
        { "key of 17 bytes", Request(replace: ("Sec-WebSocket-Key", Convert.ToBase64String(new byte[17]))), 400, "base64 encoding of 16 bytes", "" },
        { "key of 0 bytes", Request(replace: ("Sec-WebSocket-Key", "")), 400, "Sec-WebSocket-Key", "" },
        { "two Sec-WebSocket-Key headers", Request(extra: "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw=="), 400, "Sec-WebSocket-Key header must appear once", "" },
        { "Sec-WebSocket-Version 8", Request(replace: ("Sec-WebSocket-Version", "8")), 426, "version 13", "Sec-WebSocket-Version: 13" },
        { "Sec-WebSocket-Version 14", Request(replace: ("Sec-WebSocket-Version", "14")), 426, "version 13", "Sec-WebSocket-Version: 13" },
        { "no Sec-WebSocket-Version", Request(omit: "Sec-WebSocket-Version"), 426, "version 13", "Sec-WebSocket-Version: 13" },
        { "two Sec-WebSocket-Version headers", Request(extra: "Sec-WebSocket-Version: 13"), 400, "Sec-WebSocket-Version header must appear once", "" },
        { "POST", Request(method: "POST", extra: "Content-Length: 0"), 405, "must use GET", "Allow: GET" },
        { "PUT", Request(method: "PUT", extra: "Content-Length: 0"), 405, "must use GET", "Allow: GET" },
        { "HTTP/1.0", Request(version: "HTTP/1.0"), 400, "HTTP/1.1", "" },
        { "no Upgrade header", Request(omit: "Upgrade"), 400, "Upgrade header must be 'websocket'", "" },
        { "Upgrade: h2c", Request(replace: ("Upgrade", "h2c")), 400, "Upgrade header must be 'websocket'", "" },
        { "no Connection header", Request(omit: "Connection"), 400, "Connection header must contain 'Upgrade'", "" },
        { "Connection: keep-alive only", Request(replace: ("Connection", "keep-alive")), 400, "Connection header must contain 'Upgrade'", "" },
        { "two Host headers", Request(extra: "Host: other.example"), 400, "", "" },
        { "no Host header", Request(omit: "Host"), 400, "", "" },
        { "32 KB of headers (Kestrel's limit)", Request(extra: "X-Padding: " + new string('a', 40 * 1024)), 431, "", "" },
    };

    [Fact]
    public async Task Valid_handshake_gets_101_with_Upgrade_Connection_and_the_RFC_accept_value()
    {
        await using var client = await RawWebSocketClient.ConnectRawAsync(server.Port, Request(), Ct);
        var response = client.Handshake;

        Assert.Equal(101, response.StatusCode);
        Assert.Equal("websocket", response.Header("Upgrade"), ignoreCase: true);
        Assert.Contains("Upgrade", response.Header("Connection") ?? string.Empty, StringComparison.OrdinalIgnoreCase);

        // RFC 6455 section 1.3's own example.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", response.Header("Sec-WebSocket-Accept"));
        Assert.Null(response.Header("Sec-WebSocket-Protocol"));
        Assert.Null(response.Header("Sec-WebSocket-Extensions"));

        // And the connection speaks WebSocket.
        await client.SendTextAsync("after the handshake", Ct);
        await ConformanceAssert.ExpectMessageAsync(client, Frame.Text, TestPayloads.Utf8("after the handshake"));
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData("Connection", "keep-alive, Upgrade")]
    [InlineData("Connection", "upgrade")]
    [InlineData("Upgrade", "WebSocket")]
    [InlineData("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw==")]
    public async Task Handshake_with_header_H_set_to_V_is_accepted(string header, string value)
    {
        await using var client = await RawWebSocketClient.ConnectRawAsync(server.Port, Request(replace: (header, value)), Ct);

        Assert.Equal(101, client.Handshake.StatusCode);
        var key = header == "Sec-WebSocket-Key" ? value : Key;
        Assert.Equal(RawWebSocketClient.ExpectedAccept(key), client.Handshake.Header("Sec-WebSocket-Accept"));
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits", "Sec-WebSocket-Extensions")]
    [InlineData("Sec-WebSocket-Protocol", "chat, superchat", "Sec-WebSocket-Protocol")]
    public async Task Offer_the_server_does_not_support_is_not_accepted_and_the_handshake_succeeds(string header, string value, string absentResponseHeader)
    {
        await using var client = await RawWebSocketClient.ConnectRawAsync(server.Port, Request(extra: header + ": " + value), Ct);

        Assert.Equal(101, client.Handshake.StatusCode);
        Assert.Null(client.Handshake.Header(absentResponseHeader));
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Malformed_handshake_is_refused_with_a_precise_status_and_no_upgrade(string problem, string request, int status, string bodyPhrase, string responseHeader)
    {
        _ = problem;
        var response = await RawWebSocketClient.SendHttpRequestAsync(server.Port, request, Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Null(response.Header("Sec-WebSocket-Accept"));
        Assert.Contains(bodyPhrase, response.Body, StringComparison.Ordinal);
        if (responseHeader.Length > 0)
        {
            var (name, value) = (responseHeader[..responseHeader.IndexOf(':', StringComparison.Ordinal)], responseHeader[(responseHeader.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            Assert.Equal(value, response.Header(name));
        }
    }

    /// <summary>
    /// Pins repeated list headers. RFC 9110 section 5.3 makes two <c>Upgrade: websocket</c> lines the same as
    /// <c>Upgrade: websocket, websocket</c>, which contains "websocket" as RFC 6455 section 4.2.1 asks: the platform
    /// upgrades. (Sec-WebSocket-Key and Sec-WebSocket-Version, which must not repeat, are refused above.)
    /// </summary>
    [Fact]
    public async Task Two_Upgrade_websocket_headers_are_read_as_one_list_and_accepted_pinned()
    {
        await using var client = await RawWebSocketClient.ConnectRawAsync(server.Port, Request(extra: "Upgrade: websocket"), Ct);

        Assert.Equal(101, client.Handshake.StatusCode);
        await ConformanceAssert.ClosesCleanlyAsync(client);
    }

    /// <summary>The upgrade request head for the echo endpoint, with one header left out, replaced or added.</summary>
    private static string Request(string method = "GET", string version = "HTTP/1.1", string? omit = null, (string Name, string Value)? replace = null, string? extra = null)
    {
        var headers = new List<(string Name, string Value)>
        {
            ("Host", "127.0.0.1"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", Key),
            ("Sec-WebSocket-Version", "13"),
        };
        headers.RemoveAll(h => h.Name == omit);
        if (replace is { } r)
        {
            headers[headers.FindIndex(h => h.Name == r.Name)] = r;
        }

        var head = new StringBuilder().Append(method).Append(' ').Append(ConformanceServer.EchoPath).Append(' ').Append(version).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (extra is not null)
        {
            head.Append(extra).Append("\r\n");
        }

        return head.Append("\r\n").ToString();
    }
}
