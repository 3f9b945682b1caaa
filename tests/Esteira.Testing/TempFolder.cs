namespace Esteira.Testing;

/// <summary>A fresh folder under the system temporary folder, deleted with everything in it at dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <param name="prefix">Starts the folder's name, so that a folder left behind says which tests made it.</param>
    public TempFolder(string prefix = "esteira-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>A path inside the folder (nothing is created).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a pooled SQLite handle or a server's file may still be closing; the folder is temporary anyway.
        }
    }
}
