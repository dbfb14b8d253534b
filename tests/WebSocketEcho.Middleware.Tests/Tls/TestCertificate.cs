using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WebSocketEcho.Middleware.Tests.Tls;

/// <summary>
/// A self-signed server certificate made in memory for one test run: RSA 2048, subject CN=localhost, subject alternative
/// names <c>localhost</c> and <c>127.0.0.1</c>, server authentication only, valid from an hour ago for a day.
/// Clients accept it with <see cref="Validate"/>, which admits this certificate and nothing else.
/// (Shared source: linked into the sample's browser tests, which hand it to the sample and to nginx as files.)
/// </summary>
internal sealed class TestCertificate : IDisposable
{
    private TestCertificate(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>Gets the certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Creates a new certificate and key.</summary>
    public static TestCertificate Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));

        // A certificate from CreateSelfSigned keeps an ephemeral key, which SslStream cannot use on every platform;
        // a round trip through PKCS#12 gives it a normal one.
        return new TestCertificate(X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null));
    }

    /// <summary>
    /// A client's certificate check that accepts exactly this certificate, and only when its names match the address
    /// (the one error left is the untrusted self-signed root).
    /// </summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null
        && certificate.GetCertHashString() == Certificate.Thumbprint
        && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;

    /// <summary>Writes the certificate and key as a password-protected PFX (what Kestrel's configuration loads).</summary>
    public void WritePfx(string path, string password) => File.WriteAllBytes(path, Certificate.Export(X509ContentType.Pkcs12, password));

    /// <summary>Writes the certificate and its private key as PEM files (what nginx loads).</summary>
    public void WritePem(string certificatePath, string keyPath)
    {
        File.WriteAllText(certificatePath, Certificate.ExportCertificatePem());
        using var key = Certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("The test certificate has no RSA key.");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => Certificate.Dispose();
}
