using System.IO.Compression;
using System.Xml.Linq;

namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>Reads the <c>&lt;metadata&gt;</c> of the nuspec inside a .nupkg.</summary>
internal static class Nuspec
{
    public static XElement ReadMetadata(string packagePath, string packageId)
    {
        using var zip = ZipFile.OpenRead(packagePath);
        using var nuspec = zip.GetEntry(packageId + ".nuspec")!.Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    public static string Value(XElement metadata, string name) => Element(metadata, name).Value;

    public static XElement Element(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name) ?? throw new Xunit.Sdk.XunitException($"The nuspec has no <{name}>.");
}
