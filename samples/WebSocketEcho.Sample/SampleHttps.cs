using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WebSocketEcho.Sample;

/// <summary>
/// Where the sample listens, and https beside http when a certificate is available (docs/deploying.md, "TLS").
/// </summary>
/// <remarks>
/// Addresses an operator gives (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, a <c>Urls</c> key, <c>ASPNETCORE_HTTP_PORTS</c> /
/// <c>HTTPS_PORTS</c>, or a <c>Kestrel:Endpoints</c> section) are used exactly as given. Otherwise the sample listens on
/// <c>DefaultUrls:Http</c> (appsettings.json: http://localhost:1234) and adds <c>DefaultUrls:Https</c>
/// (https://localhost:1235) when it has a certificate: the one configured in <c>Kestrel:Certificates:Default</c>
/// (<c>Path</c> and <c>Password</c> of a PFX, or PEM <c>Path</c> and <c>KeyPath</c>), else the ASP.NET Core development
/// certificate from the user's store (<c>dotnet dev-certs https --trust</c>). Without either it serves http alone and
/// says how to enable https; a missing certificate never stops it from starting.
/// </remarks>
internal static class SampleHttps
{
    /// <summary>The section with the sample's own addresses, used when the operator gives none.</summary>
    public const string DefaultUrlsSection = "DefaultUrls";

    /// <summary>Kestrel's own key for the certificate of every https address without one of its own.</summary>
    public const string CertificateSection = "Kestrel:Certificates:Default";

    // The extension that marks the ASP.NET Core HTTPS development certificate (what dotnet dev-certs creates).
    private const string DevelopmentCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    // Configuration keys that, when set, say where to listen: the operator decides, the sample adds nothing.
    private static readonly string[] s_explicitAddressKeys = ["urls", "http_ports", "https_ports"];

    /// <summary>Chooses the addresses and the certificate. Runs before the host is built.</summary>
    /// <returns>What was chosen, for <see cref="Log"/> once the app's logger exists.</returns>
    public static HttpsSetup UseSampleHttps(this WebApplicationBuilder builder)
    {
        // CreateSlimBuilder leaves out Kestrel's https-from-configuration support; any https address needs it.
        builder.WebHost.UseKestrelHttpsConfiguration();

        var configuration = builder.Configuration;
        if (ExplicitAddressKey(configuration) is { } key)
        {
            return new HttpsSetup(HttpsSource.OperatorAddresses, key);
        }

        var defaults = configuration.GetSection(DefaultUrlsSection);
        var http = defaults["Http"];
        var https = defaults["Https"];
        var setup = string.IsNullOrWhiteSpace(https) ? new HttpsSetup(HttpsSource.Off, null)
            : configuration.GetSection(CertificateSection).Exists() ? new HttpsSetup(HttpsSource.ConfiguredCertificate, https)
            : UseDevelopmentCertificate(builder) is { } expires ? new HttpsSetup(HttpsSource.DevelopmentCertificate, https, expires)
            : new HttpsSetup(HttpsSource.NoCertificate, https);

        var withHttps = setup.Source is HttpsSource.ConfiguredCertificate or HttpsSource.DevelopmentCertificate;
        var addresses = string.Join(';', new[] { http, withHttps ? https : null }.Where(u => !string.IsNullOrWhiteSpace(u)));
        if (addresses.Length > 0)
        {
            builder.WebHost.UseUrls(addresses);
        }

        return setup;
    }

    /// <summary>Logs the https decision (one line; nothing when the operator chose the addresses or turned https off).</summary>
    public static void Log(this HttpsSetup setup, ILogger logger)
    {
        switch (setup.Source)
        {
            case HttpsSource.ConfiguredCertificate:
                SampleLog.HttpsWithConfiguredCertificate(logger, setup.Detail!, CertificateSection);
                break;
            case HttpsSource.DevelopmentCertificate:
                SampleLog.HttpsWithDevelopmentCertificate(logger, setup.Detail!, setup.Expires!.Value);
                break;
            case HttpsSource.NoCertificate:
                SampleLog.HttpsNeedsCertificate(logger, setup.Detail!, CertificateSection);
                break;
            default:
                break;
        }
    }

    private static string? ExplicitAddressKey(ConfigurationManager configuration) =>
        s_explicitAddressKeys.FirstOrDefault(k => !string.IsNullOrWhiteSpace(configuration[k]))
        ?? (configuration.GetSection("Kestrel:Endpoints").GetChildren().Any() ? "Kestrel:Endpoints" : null);

    /// <summary>
    /// Finds the newest valid development certificate with its private key in the user's store and hands it to Kestrel
    /// for https addresses. Returns its expiry, or null when there is none (or no readable store).
    /// </summary>
    private static DateTime? UseDevelopmentCertificate(WebApplicationBuilder builder)
    {
        X509Certificate2? found = null;
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        try
        {
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
        }
        catch (CryptographicException)
        {
            return null;
        }

        var now = DateTime.Now;
        foreach (var certificate in store.Certificates)
        {
            var usable = certificate.Extensions[DevelopmentCertificateOid] is not null
                && certificate.HasPrivateKey
                && certificate.NotBefore <= now
                && now < certificate.NotAfter
                && (found is null || certificate.NotAfter > found.NotAfter);
            if (usable)
            {
                found?.Dispose();
                found = certificate;
            }
            else
            {
                certificate.Dispose();
            }
        }

        if (found is null)
        {
            return null;
        }

        builder.WebHost.ConfigureKestrel(options => options.ConfigureHttpsDefaults(https => https.ServerCertificate = found));
        return found.NotAfter.ToUniversalTime();
    }
}
