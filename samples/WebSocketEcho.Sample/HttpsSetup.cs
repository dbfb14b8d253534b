namespace WebSocketEcho.Sample;

/// <summary>Where the sample's https certificate comes from, if anywhere.</summary>
internal enum HttpsSource
{
    /// <summary>The operator gave the addresses; the sample adds none.</summary>
    OperatorAddresses,

    /// <summary><c>DefaultUrls:Https</c> is empty: http only, by choice.</summary>
    Off,

    /// <summary>The certificate configured in <c>Kestrel:Certificates:Default</c>.</summary>
    ConfiguredCertificate,

    /// <summary>The ASP.NET Core development certificate from the user's store.</summary>
    DevelopmentCertificate,

    /// <summary>No certificate anywhere: http only, with a hint.</summary>
    NoCertificate,
}

/// <summary>What <see cref="SampleHttps.UseSampleHttps"/> chose.</summary>
/// <param name="Source">Where the certificate comes from, or why there is no https address.</param>
/// <param name="Detail">The https address (or, for <see cref="HttpsSource.OperatorAddresses"/>, the key that gave the addresses).</param>
/// <param name="Expires">The development certificate's expiry.</param>
internal readonly record struct HttpsSetup(HttpsSource Source, string? Detail, DateTime? Expires = null);
