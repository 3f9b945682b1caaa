namespace Esteira.Pipeline;

/// <summary>The files <c>esteira init</c> writes.</summary>
public static class WorkspaceTemplate
{
    /// <summary>
    /// Creates a workspace in <paramref name="folder"/>; refuses to overwrite an existing esteira.yaml. Also pins this
    /// esteira in a local tool manifest (<see cref="ToolManifest"/>) unless the folder already has one.
    /// </summary>
    public static IReadOnlyList<string> Create(string folder, string dataset)
    {
        var root = Path.GetFullPath(folder);
        var config = Path.Combine(root, Workspace.FileName);
        if (File.Exists(config))
        {
            throw new EsteiraException(ErrorCode.Conflict, $"{config}: a workspace already exists here; edit it, or init another folder");
        }

        Directory.CreateDirectory(Path.Combine(root, "experiments", "baseline"));
        // A remote dataset is written as is; a local one relative to the workspace, so that a clone (a CI job) finds it.
        var relative = dataset.Contains("://", StringComparison.Ordinal) ? dataset : Path.GetRelativePath(root, Path.GetFullPath(dataset));
        var files = new Dictionary<string, string>
        {
            [Workspace.FileName] = $"""
                # Esteira workspace: https://github.com/esteira (see docs/contract.md)
                competition: ashrae-energy-prediction
                dataset: {relative}        # a GEPIII folder (plain or .gz) or .zip inside the workspace, s3://bucket/prefix or kaggle://COMPETITION
                metric: rmsle
                cv:
                  folds: 3                  # forward-chaining time blocks, shared by every experiment
                quality:
                  keep_flagged: false       # train on rows the quality screen flagged
                tracking: sqlite:.esteira/esteira.db
                artifacts: .esteira/artifacts
                deploy:
                  target: folder
                  dest: submissions
                gate:                       # every experiment competes with the workspace's one champion
                  metric: cv_rmsle
                  direction: minimize
                  min_improvement: 0.001    # a challenger must beat the champion's CV by at least this
                  max_fold_regression: 0.05 # and lose no CV fold by more than this
                  # max: 1.0                # an absolute ceiling, which the first champion must meet too
                # ci:                       # for 'esteira ci gitlab|github'
                #   image: mcr.microsoft.com/dotnet/sdk:10.0   # or an image with esteira on PATH
                #   apt: [jupyter-nbconvert, python3-ipykernel] # extra Debian packages for notebook experiments

                """,
            [Path.Combine("experiments", "baseline", Workspace.ExperimentFile)] = """
                # The built-in LightGBM on Esteira's GEPIII features.
                kind: lightgbm
                seed: 42
                params:
                  iterations: 400
                  leaves: 63
                  learning_rate: 0.05
                  min_leaf_rows: 50
                  feature_fraction: 0.8

                """,
            [".gitignore"] = ".esteira/\nout/\nreport/\n.nuget/\n",
        };
        var written = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(root, name);
            if (name == ".gitignore" && File.Exists(path))
            {
                continue;
            }

            var temp = path + ".tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, path);
            written.Add(Path.GetRelativePath(Environment.CurrentDirectory, path));
        }

        if (ToolManifest.Pin(root, EsteiraVersion.Current) is { } manifest)
        {
            written.Add(Path.GetRelativePath(Environment.CurrentDirectory, manifest));
        }

        return written;
    }
}
