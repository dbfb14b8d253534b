namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>A new folder under the system's temp folder for one test (certificates, nginx's files, an empty HOME); deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wse-tests-");

    /// <summary>Gets the folder's full path.</summary>
    public string Path => _directory.FullName;

    /// <summary>Gets the full path of <paramref name="name"/> inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A child process still holding a file: the system's temp cleanup gets it.
        }
        catch (UnauthorizedAccessException)
        {
            // Files another user (nginx's workers) created: the system's temp cleanup gets them.
        }
    }
}
