using System.Text;

namespace WebSocketEcho.Benchmarks.Load;

/// <summary>Report pieces both runners write the same way.</summary>
internal static class ReportSections
{
    /// <summary>Appends "Errors seen:" and one bullet per line, or nothing when there are no lines.</summary>
    public static void AppendErrors(StringBuilder text, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        if (list.Count == 0)
        {
            return;
        }

        text.AppendLine("Errors seen:");
        text.AppendLine();
        foreach (var line in list)
        {
            text.Append("- ").AppendLine(line);
        }

        text.AppendLine();
    }
}
