using Esteira.Pipeline;

namespace Esteira.Testing;

/// <summary>A workspace made by <c>esteira init</c>'s template on a <see cref="TempDataset"/>, small enough to run in seconds.</summary>
public static class TestWorkspace
{
    /// <summary>The experiment.yaml <see cref="Create"/> writes unless told otherwise: a small LightGBM.</summary>
    public const string SmallLightGbm = "kind: lightgbm\nparams:\n  iterations: 20\n  leaves: 15\n";

    /// <summary>
    /// The template in <c>ds.Root/ws</c> on <c>ds.Data</c>, with two folds and <paramref name="experimentYaml"/> as its
    /// one experiment (the template's <c>recent-profile</c> baseline is left out unless <paramref name="withRecentProfile"/>).
    /// </summary>
    public static string Create(TempDataset ds, string experimentYaml = SmallLightGbm, bool withRecentProfile = false)
    {
        var root = Path.Combine(ds.Root, "ws");
        WorkspaceTemplate.Create(root, ds.Data);
        if (!withRecentProfile)
        {
            Directory.Delete(Path.Combine(root, "experiments", "recent-profile"), recursive: true);
        }

        File.WriteAllText(Path.Combine(root, "esteira.yaml"), File.ReadAllText(Path.Combine(root, "esteira.yaml")).Replace("folds: 3", "folds: 2", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(root, "experiments", "baseline", "experiment.yaml"), experimentYaml);
        return root;
    }
}
