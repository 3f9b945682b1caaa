namespace Esteira.Pipeline.Ci;

/// <summary>Generates <c>.gitlab-ci.yml</c> for a workspace (pure: text in, text out).</summary>
/// <remarks>
/// Stages validate → train → gate → report → deploy. One train job per experiment (<c>train:NAME</c>), all in
/// parallel after validate; each records its run without moving the champion. With PostgreSQL tracking the runs
/// meet in the shared store; with the embedded SQLite store each train job exports its runs and the gate job imports
/// them all. The gate promotes only on the default branch; the report runs even when the gate refused; deploy runs on
/// the default branch only, after the gate. Secrets are CI/CD variables, never values in the file.
/// </remarks>
public static class GitLabCiGenerator
{
    /// <summary>The file GitLab reads.</summary>
    public const string DefaultPath = ".gitlab-ci.yml";

    /// <summary>Train job name for <paramref name="experiment"/>.</summary>
    public static string TrainJob(string experiment) => "train:" + experiment;

    /// <summary>True on the default branch (pushes and scheduled pipelines); the only place the champion moves.</summary>
    public const string OnDefaultBranch = "[ \"$CI_COMMIT_BRANCH\" = \"$CI_DEFAULT_BRANCH\" ]";

    /// <summary>The YAML text for <paramref name="shape"/>.</summary>
    public static string Generate(WorkspaceShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var trainJobs = shape.Experiments.Select(TrainJob).ToList();
        var document = Yaml.Map(
            ("workflow", Yaml.Map(("rules", Yaml.List(
                // Merge-request pipelines for MRs, branch pipelines otherwise, never both for one push; schedules re-score main.
                Yaml.Map(("if", "$CI_PIPELINE_SOURCE == \"merge_request_event\"")),
                Yaml.Map(("if", "$CI_PIPELINE_SOURCE == \"schedule\"")),
                Yaml.Map(("if", "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS"), ("when", "never")),
                Yaml.Map(("if", "$CI_COMMIT_BRANCH")))))),
            ("stages", Yaml.List("validate", "train", "gate", "report", "deploy")),
            ("variables", Variables(shape)),
            ("default", Yaml.Map(
                ("image", shape.JobImage),
                ("interruptible", true),
                ("before_script", Yaml.List(
                    PipelineCommands.InstallNativeDependencies,
                    PipelineCommands.InstallPackages(shape.AptPackages),
                    shape.Image is null ? PipelineCommands.RestoreTool : null)),
                ("cache", Yaml.List(NuGetCache(), DatasetCache())))));

        document.Add("validate", Yaml.Map(
            ("stage", "validate"),
            ("script", Yaml.List(PipelineCommands.Validate))));

        foreach (var experiment in shape.Experiments)
        {
            document.Add(TrainJob(experiment), Yaml.Map(
                ("stage", "train"),
                ("needs", Yaml.List("validate")),
                ("variables", Yaml.Map(("EXPERIMENT", experiment))),
                ("cache", Yaml.List(NuGetCache(), DatasetCache(), StageCache())),
                ("script", Yaml.List(
                    shape.SharesArtifacts ? PipelineCommands.Pull : null,
                    PipelineCommands.Train,
                    shape.SharesArtifacts ? PipelineCommands.Push : null,
                    shape.SharesTracking ? null : PipelineCommands.ExportRuns)),
                ("artifacts", Yaml.Map(
                    ("name", "out-$EXPERIMENT"),
                    // The stage outputs go to the report and deploy jobs; the tracking store never rides along (it would overwrite).
                    ("paths", Yaml.List("out/$EXPERIMENT/", shape.SharesArtifacts ? null : ".esteira/cache/")),
                    ("expire_in", "1 week")))));
        }

        var trainNeeds = trainJobs.Select(j => (object)Yaml.Map(("job", j), ("artifacts", true))).ToList();
        document.Add("gate", Yaml.Map(
            ("stage", "gate"),
            ("needs", Yaml.List([.. trainNeeds])),
            ("cache", shape.SharesTracking ? null : Yaml.List(NuGetCache(), DatasetCache(), TrackingCache())),
            ("script", Yaml.List(
                shape.SharesTracking ? null : PipelineCommands.ImportRuns,
                PipelineCommands.Gate(OnDefaultBranch))),
            ("artifacts", shape.SharesTracking ? null : Yaml.Map(
                ("paths", Yaml.List(".esteira/esteira.db")),
                ("when", "always"),
                ("expire_in", "1 week")))));

        var gateAndTrain = new List<object> { Yaml.Map(("job", "gate"), ("artifacts", !shape.SharesTracking)) };
        gateAndTrain.AddRange(trainNeeds);
        document.Add("report", Yaml.Map(
            ("stage", "report"),
            ("needs", Yaml.List([.. gateAndTrain])),
            // The report says what the change did even when the gate refused it.
            ("rules", Yaml.List(Yaml.Map(("when", "always")))),
            ("script", Yaml.List(shape.SharesArtifacts ? PipelineCommands.Pull : null, PipelineCommands.Report)),
            ("artifacts", Yaml.Map(
                ("paths", Yaml.List("report/")),
                ("when", "always"),
                ("expire_in", "30 days")))));

        document.Add("deploy", Yaml.Map(
            ("stage", "deploy"),
            ("needs", Yaml.List([.. gateAndTrain])),
            ("rules", Yaml.List(Yaml.Map(("if", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")))),
            ("resource_group", "esteira-deploy"),
            ("interruptible", false),
            ("environment", Yaml.Map(("name", shape.DeployTarget ?? "default"))),
            ("cache", shape.SharesTracking ? null : Yaml.List(NuGetCache(), DatasetCache(), TrackingCache())),
            ("script", Yaml.List(
                shape.DeploysToKaggle ? PipelineCommands.RequireKaggleCredentials : null,
                shape.SharesArtifacts ? PipelineCommands.Pull : null,
                PipelineCommands.Deploy)),
            // A folder deploy writes inside the job's folder: keep it as an artifact so that it outlives the job.
            ("artifacts", shape.DeploysToFolder && shape.DeployFolder is { } folder ? Yaml.Map(
                ("name", "deployed-$CI_COMMIT_SHORT_SHA"),
                ("paths", Yaml.List(folder.TrimEnd('/') + "/")),
                ("expire_in", "never")) : null)));

        return Yaml.Emit(document, Header(shape));
    }

    private static OrderedDictionary<string, object> Variables(WorkspaceShape shape) => Yaml.Map(
        ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
        ("DOTNET_NOLOGO", "1"),
        // GitLab caches only folders inside the project.
        ("NUGET_PACKAGES", "$CI_PROJECT_DIR/.nuget/packages"),
        // LightGBM's OpenMP threads spin otherwise, which collapses throughput on shared runners.
        ("OMP_WAIT_POLICY", "PASSIVE"),
        ("ESTEIRA", shape.EsteiraCommand),
        ("ESTEIRA_ARTIFACTS_URI", shape.ArtifactsUri));

    private static OrderedDictionary<string, object> NuGetCache() => Yaml.Map(
        ("key", Yaml.Map(("files", Yaml.List(".config/dotnet-tools.json")), ("prefix", "nuget"))),
        ("paths", Yaml.List(".nuget/packages/")));

    // A kaggle:// or s3:// dataset is downloaded once per branch, not once per job.
    private static OrderedDictionary<string, object> DatasetCache() => Yaml.Map(
        ("key", "esteira-datasets-$CI_COMMIT_REF_SLUG"),
        ("fallback_keys", Yaml.List("esteira-datasets-$CI_DEFAULT_BRANCH")),
        ("paths", Yaml.List(".esteira/datasets/")));

    private static OrderedDictionary<string, object> StageCache() => Yaml.Map(
        ("key", "esteira-$CI_JOB_NAME_SLUG-$CI_COMMIT_REF_SLUG"),
        ("fallback_keys", Yaml.List("esteira-$CI_JOB_NAME_SLUG-$CI_DEFAULT_BRANCH")),
        ("paths", Yaml.List(".esteira/cache/")));

    // The embedded SQLite store (champion, ledger) carried from pipeline to pipeline; a shared PostgreSQL store is the durable choice.
    private static OrderedDictionary<string, object> TrackingCache() => Yaml.Map(
        ("key", "esteira-tracking-$CI_COMMIT_REF_SLUG"),
        ("fallback_keys", Yaml.List("esteira-tracking-$CI_DEFAULT_BRANCH")),
        ("paths", Yaml.List(".esteira/esteira.db")));

    private static IEnumerable<string> Header(WorkspaceShape shape)
    {
        yield return "Generated by `esteira ci gitlab`; regenerate it rather than editing (docs/ci.md).";
        yield return $"Experiments: {string.Join(", ", shape.Experiments)}.";
        yield return "CI/CD variables to set (Settings > CI/CD > Variables), never values in this file:";
        if (shape.SharesTracking)
        {
            yield return "  ESTEIRA_TRACKING_URI (masked): the PostgreSQL tracking store, postgresql://USER:PASSWORD@HOST/DB.";
        }

        if (shape.SharesArtifacts)
        {
            yield return "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (masked), AWS_REGION; AWS_ENDPOINT_URL_S3 for a non-AWS server.";
        }

        if (shape.DeploysToKaggle)
        {
            yield return "  KAGGLE_USERNAME, KAGGLE_KEY (masked, protected): used by the deploy job on the default branch only.";
        }

        yield return "  GITLAB_TOKEN (masked): a project access token with api scope; the report job posts the merge-request note with it (CI_JOB_TOKEN cannot post notes).";
    }
}
