using System.Text;

namespace WebSocketEcho.Middleware.Tests.Chaos;

/// <summary>Collects a chaos test's figures, writes them to the test output and appends them to <c>chaos-figures.txt</c> next to the test assembly.</summary>
internal sealed class ChaosFigures(string title)
{
    private readonly StringBuilder _text = new StringBuilder().AppendLine(FormattableString.Invariant($"## {title} ({DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC)"));

    public static string FilePath => Path.Combine(AppContext.BaseDirectory, "chaos-figures.txt");

    public ChaosFigures Add(string name, object? value)
    {
        _text.Append("- ").Append(name).Append(": ").AppendLine(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
        return this;
    }

    public override string ToString() => _text.ToString();

    public void Publish()
    {
        var text = _text.ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        File.AppendAllText(FilePath, text + Environment.NewLine);
    }
}
