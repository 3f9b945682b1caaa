using Esteira.Pipeline;

namespace Esteira.Reporting.Tests;

/// <summary>Builds workspaces on the kit's <see cref="TinyGepiii"/> dataset.</summary>
internal static class TinyWorkspace
{
    /// <summary>Small LightGBM settings, two folds: the whole pipeline runs in seconds.</summary>
    public const string Experiment = "baseline";

    /// <summary>esteira init without its recent-profile baseline, then cv.folds 2 and small LightGBM parameters.</summary>
    public static Workspace Create(string root, string data, int iterations = 20, int leaves = 15)
    {
        WorkspaceTemplate.Create(root, data);
        Directory.Delete(System.IO.Path.Combine(root, "experiments", "recent-profile"), recursive: true);
        var config = System.IO.Path.Combine(root, Workspace.FileName);
        File.WriteAllText(config, File.ReadAllText(config).Replace("folds: 3", "folds: 2", StringComparison.Ordinal));
        SetParams(root, iterations, leaves);
        return Workspace.Load(root);
    }

    public static void SetParams(string root, int iterations, int leaves) =>
        File.WriteAllText(System.IO.Path.Combine(root, "experiments", Experiment, Workspace.ExperimentFile), $"""
            kind: lightgbm
            seed: 42
            params:
              iterations: {iterations}
              leaves: {leaves}
              learning_rate: 0.1
              min_leaf_rows: 20
              threads: 1

            """);

    public static WorkspaceRunResult Run(Workspace workspace) =>
        WorkspaceRunner.Run(workspace, new RunRequest { OutDir = System.IO.Path.Combine(workspace.Root, "out") }, SilentObserver.Instance);

    /// <summary>Copies a workspace (config, experiments and .esteira) beside the original, so that a test can change it freely.</summary>
    public static Workspace Clone(Workspace source, string root)
    {
        Copy(source.Root, root, skip: "out");
        return Workspace.Load(root);
    }

    private static void Copy(string from, string to, string skip)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            if (!System.IO.Path.GetFileName(file).StartsWith("lock", StringComparison.Ordinal))
            {
                File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
            }
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            if (System.IO.Path.GetFileName(dir) != skip)
            {
                Copy(dir, System.IO.Path.Combine(to, System.IO.Path.GetFileName(dir)), skip);
            }
        }
    }
}

/// <summary>The kit's <see cref="Esteira.Testing.Cli"/>, with plain text at 200 columns: report lines are asserted whole.</summary>
internal static class Cli
{
    public static (int Exit, string Out, string Err) Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["NO_COLOR"] = "1", ["COLUMNS"] = "200" };
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }

        return Esteira.Testing.Cli.Esteira(workingDirectory, variables, args);
    }
}
