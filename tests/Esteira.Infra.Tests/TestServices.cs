namespace Esteira.Infra.Tests;

/// <summary>The real services tests run against, as started by .ci/services.sh.</summary>
internal static class TestServices
{
    public static string S3Endpoint =>
        Environment.GetEnvironmentVariable("ESTEIRA_TEST_S3") is { Length: > 0 } endpoint
            ? endpoint
            : throw new InvalidOperationException(
                "ESTEIRA_TEST_S3 is not set: these tests need the local S3-API server. Run `source .ci/services.sh` in this shell, then rerun the tests.");

    /// <summary>The repository root (the folder holding Esteira.slnx), found above the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Esteira.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"no Esteira.slnx above {AppContext.BaseDirectory}");
        }
    }
}

/// <summary>A temporary folder removed at the end of the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "esteira-infra-" + Guid.NewGuid().ToString("N")[..12]);

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
