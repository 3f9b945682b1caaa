using Esteira.Config;
using Esteira.Pipeline.Profiles;

namespace Esteira.Pipeline;

/// <summary>The files <c>esteira init</c> writes.</summary>
public static class WorkspaceTemplate
{
    /// <summary>
    /// Creates a workspace in <paramref name="folder"/>; refuses to overwrite an existing esteira.yaml. Also pins this
    /// esteira in a local tool manifest (<see cref="ToolManifest"/>) unless the folder already has one.
    /// </summary>
    /// <param name="folder">The workspace folder.</param>
    /// <param name="dataset">The dataset: a local folder or .zip, <c>s3://…</c> or <c>kaggle://…</c>.</param>
    /// <param name="competition">The competition section to write (name, profile, metric, columns); by default GEPIII's.</param>
    public static IReadOnlyList<string> Create(string folder, string dataset, CompetitionSettings? competition = null)
    {
        competition ??= new CompetitionSettings { Name = "ashrae-energy-prediction", Profile = GepiiiProfile.ProfileName, Metric = EvalMetric.Rmsle.Name };
        var metric = EvalMetric.Find(competition.Metric) ?? EvalMetric.Rmsle;
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
                competition:
                {CompetitionYaml(competition)}
                dataset: {relative}        # a local folder or .zip inside the workspace, s3://bucket/prefix or kaggle://COMPETITION
                cv:
                  folds: 3                  # shared by every experiment: forward-chaining time blocks (K-fold without a time column)
                  seed: 42                  # the features stage's seed
                quality:
                  keep_flagged: false       # train on rows the quality screen flagged
                tracking: sqlite:.esteira/esteira.db
                artifacts: .esteira/artifacts
                deploy:
                  target: folder
                  dest: submissions
                gate:                       # every experiment competes with the workspace's one champion
                  metric: {metric.TrackingKey}
                  direction: {(metric.Goal == MetricGoal.Minimize ? "minimize" : "maximize")}
                  min_improvement: 0.001    # a challenger must beat the champion's CV by at least this
                  max_fold_regression: 0.05 # and lose no CV fold by more than this (in the metric's units)
                  # max: 1.0                # an absolute ceiling, which the first champion must meet too
                # ci:                       # for 'esteira ci gitlab|github'
                #   image: mcr.microsoft.com/dotnet/sdk:10.0   # or an image with esteira on PATH
                #   apt: [jupyter-nbconvert, python3-ipykernel] # extra Debian packages for notebook experiments

                """,
            [Path.Combine("experiments", "baseline", Workspace.ExperimentFile)] = $"""
                # The built-in LightGBM on the features of the competition's profile.
                kind: lightgbm
                seed: 42
                params:{BaselineCapacity(competition)}
                  learning_rate: 0.05
                  min_leaf_rows: 50
                  feature_fraction: 0.8

                """,
            [".gitignore"] = ".esteira/\nout/\nreport/\n.nuget/\n",
        };
        if (competition.Profile != TabularProfile.ProfileName)
        {
            // the naive baseline every model must beat, tracked and gated beside it: a model that loses to it is news
            Directory.CreateDirectory(Path.Combine(root, "experiments", "recent-profile"));
            files[Path.Combine("experiments", "recent-profile", Workspace.ExperimentFile)] = """
                # The naive baseline: per meter series, the median log reading per weekday × hour over the last weeks
                # before the cutoff. No model; it competes for the champion like any experiment.
                kind: recent_profile
                params:
                  weeks: 8
                  statistic: median      # or mean (of log1p readings)

                """;
        }
        var written = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(root, name);
            if (name == ".gitignore" && File.Exists(path))
            {
                continue;
            }

            AtomicFile.WriteAllText(path, text, overwrite: false);
            written.Add(Path.GetRelativePath(Environment.CurrentDirectory, path));
        }

        if (ToolManifest.Pin(root, EsteiraVersion.Current) is { } manifest)
        {
            written.Add(Path.GetRelativePath(Environment.CurrentDirectory, manifest));
        }

        return written;
    }

    /// <summary>
    /// The baseline's leaves and iterations: GEPIII's measured pair, or none for the tabular profile, which then
    /// chooses them on CV (<see cref="Esteira.Ml.GbmTuning"/>).
    /// </summary>
    private static string BaselineCapacity(CompetitionSettings c) => c.Profile == TabularProfile.ProfileName
        ? "                   # leaves and iterations: chosen on CV (15, 31 or 63 leaves; early stopping) unless set here"
        : "\n  iterations: 400\n  leaves: 63";

    /// <summary>The <c>competition:</c> mapping's lines (indented by two), the given keys only.</summary>
    private static string CompetitionYaml(CompetitionSettings c)
    {
        var lines = new List<string>();
        void Add(string key, string? value, string comment)
        {
            if (value is not null)
            {
                lines.Add($"  {key}: {value}".PadRight(27) + $" # {comment}");
            }
        }

        Add("name", c.Name, "the champion's model name; the Kaggle or leaderboard competition");
        Add("profile", c.Profile, "gepiii or tabular");
        Add("metric", c.Metric, "rmsle, rmse, mae, auc, logloss or accuracy");
        Add("id", c.Id, "the submission's id column");
        Add("target", c.Target, "the column to predict");
        Add("time", c.Time, "the column that orders the CV folds; none: K-fold");
        Add("task", c.Task, "regression or binary");
        return string.Join("\n", lines);
    }
}
