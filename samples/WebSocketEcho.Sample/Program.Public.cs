using System.Diagnostics.CodeAnalysis;

/// <summary>The sample's entry point, public so that tests can start the app in memory with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
[SuppressMessage("Maintainability", "CA1515:Consider making public types internal", Justification = "WebApplicationFactory<Program> in the tests names it.")]
public partial class Program;
