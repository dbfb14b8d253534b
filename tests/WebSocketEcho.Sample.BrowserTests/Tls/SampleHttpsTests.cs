using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using WebSocketEcho.Middleware.Tests.Tls;
using WebSocketEcho.Sample.BrowserTests.Infrastructure;

namespace WebSocketEcho.Sample.BrowserTests.Tls;

/// <summary>
/// The sample's https (docs/deploying.md, "TLS"): with a certificate from configuration or the development certificate
/// it serves https beside http and the page opens wss://; without one it serves http alone and says how to enable
/// https; addresses given by the operator are used exactly. Each case runs its own sample process with an empty HOME
/// (so no development certificate of the machine's user is found unless the test creates one there).
/// </summary>
public sealed class SampleHttpsTests(BrowserFixture browser)
{
    private const string Password = "test-pfx-password";
    private const string HintLine = "HTTP only: no certificate for https://127.0.0.1:0. To serve https and wss:// too, run `dotnet dev-certs https --trust` or set Kestrel:Certificates:Default:Path (and :Password) to a PFX file.";
    private const string DevelopmentCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_a_certificate_from_configuration_the_page_over_https_opens_wss_and_receives_Received_Hello_world()
    {
        using var home = new TempFolder();
        using var certificate = TestCertificate.Create();
        await using var server = await SampleServer.StartAsync(Ct, WithCertificate(home, certificate), urls: null);
        var https = server.HttpsAddress;
        Assert.True(https is not null, $"The sample serves no https. Output:{Environment.NewLine}{server.Output}");
        Assert.Contains("HTTPS on https://127.0.0.1:0 with the certificate configured in Kestrel:Certificates:Default.", server.Output, StringComparison.Ordinal);
        await using var context = await browser.NewContextAsync(ignoreHttpsErrors: true);

        var page = await EchoPage.OpenAsync(context, https);

        await page.WaitForStatusAsync("open");
        var wss = server.SecureEchoUri.ToString();
        Assert.StartsWith("wss://127.0.0.1:", wss, StringComparison.Ordinal);
        Assert.Equal(wss, await page.Page.Locator("#url").TextContentAsync());
        await page.WaitForEntryAsync("open", "connected to " + wss);
        await page.SendButton.ClickAsync();
        await page.WaitForEntryAsync("received", "Received:  Hello, world!");

        // The certificate on the wire is the configured one (the client accepts nothing else), and http still works.
        Assert.Equal("Received:  over wss", await EchoAsync(server.SecureEchoUri, "over wss", certificate.Validate));
        Assert.Equal("Received:  over ws", await EchoAsync(server.EchoUri, "over ws"));
    }

    [Fact]
    public async Task Without_a_certificate_the_sample_serves_http_only_and_logs_how_to_enable_https()
    {
        using var home = new TempFolder();
        await using var server = await SampleServer.StartAsync(Ct, new Dictionary<string, string> { ["HOME"] = home.Path }, urls: null);

        var address = Assert.Single(server.Addresses);
        Assert.Equal(Uri.UriSchemeHttp, address.Scheme);
        Assert.Single(server.Output.Split(Environment.NewLine), line => line.Trim() == HintLine);
        Assert.Equal("Received:  still served", await EchoAsync(server.EchoUri, "still served"));
    }

    [Fact]
    public async Task With_the_development_certificate_in_the_user_store_the_sample_serves_https_with_it()
    {
        using var home = new TempFolder();
        await CreateDevelopmentCertificateAsync(home);

        await using var server = await SampleServer.StartAsync(Ct, new Dictionary<string, string> { ["HOME"] = home.Path }, urls: null);

        Assert.True(server.HttpsAddress is not null, $"The sample serves no https. Output:{Environment.NewLine}{server.Output}");
        Assert.Contains("HTTPS on https://127.0.0.1:0 with the ASP.NET Core development certificate (valid until ", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(HintLine, server.Output, StringComparison.Ordinal);
        Assert.Equal(
            "Received:  dev cert",
            await EchoAsync(server.SecureEchoUri, "dev cert", (_, presented, _, errors) =>
                presented is X509Certificate2 served && served.Extensions[DevelopmentCertificateOid] is not null
                && (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) == System.Net.Security.SslPolicyErrors.None));
    }

    [Theory]
    [InlineData("--urls")]
    [InlineData("ASPNETCORE_URLS")]
    public async Task Addresses_given_by_the_operator_are_used_as_given_and_no_https_address_is_added(string how)
    {
        using var home = new TempFolder();
        using var certificate = TestCertificate.Create();
        var environment = WithCertificate(home, certificate);
        if (how == "ASPNETCORE_URLS")
        {
            environment["ASPNETCORE_URLS"] = SampleServer.LoopbackHttp;
        }

        await using var server = await SampleServer.StartAsync(Ct, environment, urls: how == "--urls" ? SampleServer.LoopbackHttp : null);

        var address = Assert.Single(server.Addresses);
        Assert.Equal(Uri.UriSchemeHttp, address.Scheme);
        Assert.DoesNotContain("HTTPS on", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(HintLine, server.Output, StringComparison.Ordinal);
        Assert.Equal("Received:  as given", await EchoAsync(server.EchoUri, "as given"));
    }

    /// <summary>The configuration that gives the sample <paramref name="certificate"/> as a PFX file, and an empty HOME.</summary>
    private static Dictionary<string, string> WithCertificate(TempFolder home, TestCertificate certificate)
    {
        var path = home.File("sample.pfx");
        certificate.WritePfx(path, Password);
        return new Dictionary<string, string>
        {
            ["HOME"] = home.Path,
            ["Kestrel__Certificates__Default__Path"] = path,
            ["Kestrel__Certificates__Default__Password"] = Password,
        };
    }

    /// <summary>Runs <c>dotnet dev-certs https</c> with <paramref name="home"/> as HOME: the certificate lands in that user's store.</summary>
    private static async Task CreateDevelopmentCertificateAsync(TempFolder home)
    {
        var start = new ProcessStartInfo(DotNetHost.Path, ["dev-certs", "https"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["HOME"] = home.Path;
        start.Environment["DOTNET_CLI_HOME"] = home.Path;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet dev-certs.");
        ChildProcesses.Track(process);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var errors = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            Assert.True(process.ExitCode == 0, $"dotnet dev-certs https exited with {process.ExitCode}: {await output}{await errors}");
        }
        finally
        {
            ChildProcesses.KillNow(process);
            ChildProcesses.Untrack(process);
        }
    }

    private static async Task<string> EchoAsync(Uri uri, string text, System.Net.Security.RemoteCertificateValidationCallback? validate = null)
    {
        using var client = new ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = validate;
        await client.ConnectAsync(uri, Ct);
        await client.SendTextAsync(text, Ct);
        var reply = await client.ReceiveTextAsync(Ct);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        return reply;
    }
}
