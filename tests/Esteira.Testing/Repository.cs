namespace Esteira.Testing;

/// <summary>The repository checkout the tests run in (the folder holding Esteira.slnx), found above the test binaries.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string Sample => Path.Combine(Root, "samples", "bdg2-electricity-2016");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Esteira.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
