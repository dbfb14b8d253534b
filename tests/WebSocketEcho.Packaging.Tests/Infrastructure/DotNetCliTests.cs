namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>
/// The tests that shell out to the dotnet CLI run one after another (two parallel builds on a 2-core machine only
/// make both slower) and share one packed package.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DotNetCliTests : ICollectionFixture<PackedPackage>
{
    public const string Name = "dotnet CLI";
}
