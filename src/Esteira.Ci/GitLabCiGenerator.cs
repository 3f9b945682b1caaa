namespace Esteira.Ci;

/// <summary>Generates <c>.gitlab-ci.yml</c> for a workspace (pure: text in, text out).</summary>
/// <remarks>
/// Stages validate → train → gate → report → deploy. One train job per experiment (<c>train:NAME</c>), all in
/// parallel after validate. With PostgreSQL tracking the train jobs record their runs in the shared store and
/// the gate reads them; without it the gate job re-runs every experiment, which hits the cache (the bucket,
/// or the train jobs' <c>.esteira/</c> artifacts) and so only records the runs. Deploy runs on the default
/// branch only, after the gate. Secrets are CI/CD variables, never values in the file.
/// </remarks>
public static class GitLabCiGenerator
{
    /// <summary>The file GitLab reads.</summary>
    public const string DefaultPath = ".gitlab-ci.yml";

    /// <summary>Train job name for <paramref name="experiment"/>.</summary>
    public static string TrainJob(string experiment) => "train:" + experiment;

    /// <summary>The YAML text for <paramref name="shape"/>.</summary>
    public static string Generate(WorkspaceShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var trainJobs = shape.Experiments.Select(TrainJob).ToList();
        var document = Yaml.Map(
            ("workflow", Yaml.Map(("rules", Yaml.List(
                // Merge-request pipelines for MRs, branch pipelines otherwise, never both for one push.
                Yaml.Map(("if", "$CI_PIPELINE_SOURCE == \"merge_request_event\"")),
                Yaml.Map(("if", "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS"), ("when", "never")),
                Yaml.Map(("if", "$CI_COMMIT_BRANCH")))))),
            ("stages", Yaml.List("validate", "train", "gate", "report", "deploy")),
            ("variables", Variables(shape)),
            ("default", Yaml.Map(
                ("image", PipelineCommands.Image),
                ("interruptible", true),
                ("before_script", Yaml.List(PipelineCommands.InstallNativeDependencies)),
                ("cache", Yaml.List(NuGetCache())))));

        document.Add("validate", Yaml.Map(
            ("stage", "validate"),
            ("script", Yaml.List(PipelineCommands.Validate))));

        foreach (var experiment in shape.Experiments)
        {
            document.Add(TrainJob(experiment), Yaml.Map(
                ("stage", "train"),
                ("needs", Yaml.List("validate")),
                ("variables", Yaml.Map(("EXPERIMENT", experiment))),
                ("cache", Yaml.List(NuGetCache(), EsteiraCache())),
                ("script", Yaml.List(
                    shape.SharesArtifacts ? PipelineCommands.Pull : null,
                    PipelineCommands.Train,
                    shape.SharesArtifacts ? PipelineCommands.Push : null)),
                ("artifacts", Yaml.Map(
                    ("name", "out-$EXPERIMENT"),
                    ("paths", Yaml.List("out/$EXPERIMENT/", shape.SharesArtifacts ? null : ".esteira/")),
                    ("expire_in", "1 week")))));
        }

        document.Add("gate", Yaml.Map(
            ("stage", "gate"),
            ("needs", Yaml.List([.. trainJobs])),
            ("cache", Yaml.List(NuGetCache(), EsteiraCache())),
            ("script", GateScript(shape)),
            ("artifacts", shape.SharesTracking ? null : Yaml.Map(
                ("paths", Yaml.List(".esteira/", "out/")),
                ("when", "always"),
                ("expire_in", "1 week")))));

        document.Add("report", Yaml.Map(
            ("stage", "report"),
            ("needs", Yaml.List(Yaml.Map(("job", "gate"), ("artifacts", !shape.SharesTracking)))),
            // The report says what the change did even when the gate refused it.
            ("rules", Yaml.List(Yaml.Map(("when", "always")))),
            ("script", Yaml.List(shape.SharesArtifacts ? PipelineCommands.Pull : null, PipelineCommands.Report)),
            ("artifacts", Yaml.Map(
                ("paths", Yaml.List("report/")),
                ("when", "always"),
                ("expire_in", "30 days")))));

        document.Add("deploy", Yaml.Map(
            ("stage", "deploy"),
            ("needs", Yaml.List(Yaml.Map(("job", "gate"), ("artifacts", !shape.SharesTracking)))),
            ("rules", Yaml.List(Yaml.Map(("if", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")))),
            ("resource_group", "esteira-deploy"),
            ("interruptible", false),
            ("environment", Yaml.Map(("name", shape.DeployTarget ?? "default"))),
            ("script", Yaml.List(
                shape.DeploysToKaggle ? PipelineCommands.RequireKaggleCredentials : null,
                shape.SharesArtifacts ? PipelineCommands.Pull : null,
                PipelineCommands.Deploy))));

        return Yaml.Emit(document, Header(shape));
    }

    private static List<object> GateScript(WorkspaceShape shape) => shape.SharesTracking
        ? Yaml.List(PipelineCommands.Gate)
        : Yaml.List(shape.SharesArtifacts ? PipelineCommands.Pull : null, PipelineCommands.RunAll, PipelineCommands.Gate);

    private static OrderedDictionary<string, object> Variables(WorkspaceShape shape) => Yaml.Map(
        ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
        ("DOTNET_NOLOGO", "1"),
        // GitLab caches only folders inside the project.
        ("NUGET_PACKAGES", "$CI_PROJECT_DIR/.nuget/packages"),
        // LightGBM's OpenMP threads spin otherwise, which collapses throughput on shared runners.
        ("OMP_WAIT_POLICY", "PASSIVE"),
        ("ESTEIRA_ARTIFACTS_URI", shape.ArtifactsUri));

    private static OrderedDictionary<string, object> NuGetCache() => Yaml.Map(
        ("key", Yaml.Map(("files", Yaml.List("Directory.Packages.props")), ("prefix", "nuget"))),
        ("paths", Yaml.List(".nuget/packages/")));

    private static OrderedDictionary<string, object> EsteiraCache() => Yaml.Map(
        ("key", "esteira-$CI_JOB_NAME_SLUG-$CI_COMMIT_REF_SLUG"),
        ("fallback_keys", Yaml.List("esteira-$CI_JOB_NAME_SLUG-$CI_DEFAULT_BRANCH")),
        ("paths", Yaml.List(".esteira/")));

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
