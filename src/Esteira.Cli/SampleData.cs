namespace Esteira.Cli;

/// <summary>Finds the bundled real sample (samples/bdg2-electricity-2016) from the working folder or the tool's folder.</summary>
internal static class SampleData
{
    public const string RelativePath = "samples/bdg2-electricity-2016";

    public static string Locate()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (Directory.Exists(candidate))
                {
                    return Path.GetRelativePath(Environment.CurrentDirectory, candidate);
                }
            }
        }

        throw new EsteiraException(ErrorCode.Usage,
            $"the bundled sample ({RelativePath}) was not found above {Environment.CurrentDirectory}; pass --data PATH or run from the repository");
    }
}
