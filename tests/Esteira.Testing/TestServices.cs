namespace Esteira.Testing;

/// <summary>The real services tests run against, as started by .ci/services.sh.</summary>
public static class TestServices
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
