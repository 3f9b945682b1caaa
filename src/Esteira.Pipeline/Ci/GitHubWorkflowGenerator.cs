namespace Esteira.Pipeline.Ci;

/// <summary>Generates <c>.github/workflows/esteira.yml</c> for a workspace (pure: text in, text out).</summary>
/// <remarks>
/// Jobs validate → train (a matrix with one job per experiment, in parallel) → gate → report → deploy, in the
/// SDK container. Secrets reach the jobs through <c>${{ secrets.NAME }}</c> references only; deploy runs only
/// for a push to the repository's default branch, after the gate. See <see cref="GitLabCiGenerator"/> for how
/// runs are shared with and without PostgreSQL tracking.
/// </remarks>
public static class GitHubWorkflowGenerator
{
    /// <summary>Where GitHub reads workflows.</summary>
    public const string DefaultPath = ".github/workflows/esteira.yml";

    /// <summary>The condition that limits a job to a push or schedule of the default branch.</summary>
    public const string DefaultBranch = "github.event_name != 'pull_request' && github.ref == format('refs/heads/{0}', github.event.repository.default_branch)";

    /// <summary>The YAML text for <paramref name="shape"/>; <paramref name="defaultBranch"/> is the branch whose pushes run the pipeline.</summary>
    public static string Generate(WorkspaceShape shape, string defaultBranch = "main")
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultBranch);
        var document = Yaml.Map(
            ("name", "esteira"),
            ("on", Yaml.Map(
                ("push", Yaml.Map(("branches", Yaml.List(defaultBranch)))),
                ("pull_request", Yaml.Map()),
                // Scheduled re-scoring: the default branch's pipeline again; deploy sends only what is new.
                ("schedule", Yaml.List(Yaml.Map(("cron", "0 6 * * *")))),
                ("workflow_dispatch", Yaml.Map()))),
            ("permissions", Yaml.Map(("contents", "read"))),
            ("concurrency", Yaml.Map(
                ("group", "esteira-${{ github.ref }}"),
                // Superseded pull-request pipelines are cancelled; default-branch ones (which deploy) are not.
                ("cancel-in-progress", "${{ github.event_name == 'pull_request' }}"))),
            ("env", Environment(shape)),
            ("jobs", Yaml.Map(
                ("validate", Job(
                    shape,
                    name: "validate",
                    needs: null,
                    steps: [.. Setup(shape, experimentCache: null), Run("Plan", PipelineCommands.Validate)])),
                ("train", Train(shape)),
                ("gate", Gate(shape)),
                ("report", Report(shape)),
                ("deploy", Deploy(shape)))));

        return Yaml.Emit(document, Header(shape));
    }

    private static OrderedDictionary<string, object> Train(WorkspaceShape shape)
    {
        var job = Job(
            shape,
            name: "train (${{ matrix.experiment }})",
            needs: Yaml.List("validate"),
            steps:
            [
                .. Setup(shape, experimentCache: "${{ matrix.experiment }}"),
                shape.SharesArtifacts ? Run("Pull shared stage outputs", PipelineCommands.Pull) : null,
                Run("Train", PipelineCommands.Train),
                shape.SharesArtifacts ? Run("Push stage outputs", PipelineCommands.Push) : null,
                shape.SharesTracking ? null : Run("Export the runs", PipelineCommands.ExportRuns),
                Yaml.Map(
                    ("name", "Keep the outputs"),
                    ("uses", "actions/upload-artifact@v4"),
                    ("with", Yaml.Map(
                        ("name", "out-${{ matrix.experiment }}"),
                        ("path", shape.SharesArtifacts ? "out/${{ matrix.experiment }}/" : "out/${{ matrix.experiment }}/\n.esteira/cache/"),
                        ("include-hidden-files", true),
                        ("retention-days", 7)))),
            ]);
        job.Insert(1, "strategy", Yaml.Map(
            ("fail-fast", false),
            ("matrix", Yaml.Map(("experiment", Yaml.List([.. shape.Experiments]))))));
        job.Insert(4, "env", Yaml.Map(("EXPERIMENT", "${{ matrix.experiment }}")));
        return job;
    }

    /// <summary>True on a push or schedule of the default branch; the only place the champion moves.</summary>
    public const string OnDefaultBranch = "[ \"$GITHUB_EVENT_NAME\" != pull_request ] && [ \"$GITHUB_REF\" = \"refs/heads/$DEFAULT_BRANCH\" ]";

    private static OrderedDictionary<string, object> Gate(WorkspaceShape shape)
    {
        var job = Job(
            shape,
            name: "gate",
            needs: Yaml.List("train"),
            steps:
            [
                .. Setup(shape, experimentCache: null),
                DownloadOutputs(),
                shape.SharesTracking ? null : Restore("tracking"),
                shape.SharesTracking ? null : Run("Merge the train jobs' runs", PipelineCommands.ImportRuns),
                Run("Gate", PipelineCommands.Gate(OnDefaultBranch)),
                shape.SharesTracking ? null : Upload("tracking", ".esteira/esteira.db"),
                shape.SharesTracking ? null : Save("tracking"),
            ]);
        job.Insert(4, "env", Yaml.Map(("DEFAULT_BRANCH", "${{ github.event.repository.default_branch }}")));
        return job;
    }

    private static OrderedDictionary<string, object> Report(WorkspaceShape shape)
    {
        var job = Job(
            shape,
            name: "report",
            needs: Yaml.List("gate"),
            steps:
            [
                .. Setup(shape, experimentCache: null),
                DownloadOutputs(),
                shape.SharesTracking ? null : Download("tracking"),
                Run("Report", PipelineCommands.Report),
                Upload("report", "report/"),
            ]);
        // The report says what the change did even when the gate refused it.
        job.Insert(0, "if", "${{ !cancelled() }}");
        job.Insert(4, "permissions", Yaml.Map(("contents", "read"), ("pull-requests", "write")));
        job.Insert(5, "env", Yaml.Map(("GITHUB_TOKEN", "${{ secrets.GITHUB_TOKEN }}")));
        return job;
    }

    private static OrderedDictionary<string, object> Deploy(WorkspaceShape shape)
    {
        var job = Job(
            shape,
            name: "deploy",
            needs: Yaml.List("gate"),
            steps:
            [
                .. Setup(shape, experimentCache: null),
                DownloadOutputs(),
                shape.SharesTracking ? null : Download("tracking"),
                shape.DeploysToKaggle ? Run("Check the Kaggle credentials", PipelineCommands.RequireKaggleCredentials) : null,
                shape.SharesArtifacts ? Run("Pull shared stage outputs", PipelineCommands.Pull) : null,
                Run("Deploy the champion", PipelineCommands.Deploy),
                shape.SharesTracking ? null : Save("tracking"),
                shape.DeploysToFolder && shape.DeployFolder is { } folder ? Upload("deployed", folder.TrimEnd('/') + "/", retentionDays: 90) : null,
            ]);
        job.Insert(0, "if", DefaultBranch);
        job.Insert(4, "environment", shape.DeployTarget ?? "default");
        job.Insert(5, "concurrency", Yaml.Map(("group", "esteira-deploy"), ("cancel-in-progress", false)));
        job.Insert(6, "env", Yaml.Map(
            ("KAGGLE_USERNAME", "${{ secrets.KAGGLE_USERNAME }}"),
            ("KAGGLE_KEY", "${{ secrets.KAGGLE_KEY }}")));
        return job;
    }

    private static OrderedDictionary<string, object> Job(WorkspaceShape shape, string name, List<object>? needs, List<object?> steps) => Yaml.Map(
        ("name", name),
        ("needs", needs),
        ("runs-on", "ubuntu-latest"),
        ("container", shape.JobImage),
        ("steps", Yaml.List([.. steps])));

    private static IEnumerable<object> Setup(WorkspaceShape shape, string? experimentCache)
    {
        yield return Yaml.Map(("uses", "actions/checkout@v4"));
        yield return Yaml.Map(
            ("name", "NuGet cache"),
            ("uses", "actions/cache@v4"),
            ("with", Yaml.Map(
                ("path", "~/.nuget/packages"),
                ("key", "nuget-${{ hashFiles('**/*.csproj', 'Directory.Packages.props') }}"),
                ("restore-keys", "nuget-"))));
        if (experimentCache is not null)
        {
            yield return Yaml.Map(
                ("name", "Esteira cache"),
                ("uses", "actions/cache@v4"),
                ("with", Yaml.Map(
                    ("path", ".esteira/cache"),
                    ("key", $"esteira-{experimentCache}-${{{{ github.sha }}}}"),
                    ("restore-keys", $"esteira-{experimentCache}-"))));
        }

        yield return Run("Native dependencies", PipelineCommands.InstallNativeDependencies);
        if (PipelineCommands.InstallPackages(shape.AptPackages) is { } packages)
        {
            yield return Run("Packages the experiments need", packages);
        }

        if (shape.Image is null)
        {
            yield return Run("Esteira (the version .config/dotnet-tools.json pins)", PipelineCommands.RestoreTool);
        }
    }

    // The SQLite tracking store (champion, ledger) carried from run to run; a shared PostgreSQL store is the durable choice.
    private static OrderedDictionary<string, object> Restore(string name) => Yaml.Map(
        ("uses", "actions/cache/restore@v4"),
        ("with", Yaml.Map(("path", ".esteira/esteira.db"), ("key", $"esteira-{name}-${{{{ github.run_id }}}}"), ("restore-keys", $"esteira-{name}-"))));

    private static OrderedDictionary<string, object> Save(string name) => Yaml.Map(
        ("uses", "actions/cache/save@v4"),
        ("if", "${{ !cancelled() }}"),
        ("with", Yaml.Map(("path", ".esteira/esteira.db"), ("key", $"esteira-{name}-${{{{ github.run_id }}}}-${{{{ github.job }}}}"))));

    private static OrderedDictionary<string, object> Run(string name, string command) => Yaml.Map(("name", name), ("run", command));

    private static OrderedDictionary<string, object> Upload(string name, string path, int retentionDays = 7) => Yaml.Map(
        ("uses", "actions/upload-artifact@v4"),
        ("if", "${{ !cancelled() }}"),
        ("with", Yaml.Map(("name", name), ("path", path), ("include-hidden-files", true), ("retention-days", retentionDays))));

    private static OrderedDictionary<string, object> Download(string name) => Yaml.Map(
        ("uses", "actions/download-artifact@v4"),
        ("with", Yaml.Map(("name", name))));

    private static OrderedDictionary<string, object> DownloadOutputs() => Yaml.Map(
        ("uses", "actions/download-artifact@v4"),
        ("with", Yaml.Map(("pattern", "out-*"), ("merge-multiple", true))));

    private static OrderedDictionary<string, object> Environment(WorkspaceShape shape)
    {
        var env = Yaml.Map(
            ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
            ("DOTNET_NOLOGO", "1"),
            ("OMP_WAIT_POLICY", "PASSIVE"),
            ("ESTEIRA", shape.EsteiraCommand));
        if (shape.SharesArtifacts)
        {
            env.Add("ESTEIRA_ARTIFACTS_URI", shape.ArtifactsUri!);
            env.Add("AWS_ACCESS_KEY_ID", "${{ secrets.AWS_ACCESS_KEY_ID }}");
            env.Add("AWS_SECRET_ACCESS_KEY", "${{ secrets.AWS_SECRET_ACCESS_KEY }}");
            env.Add("AWS_REGION", "${{ vars.AWS_REGION }}");
            env.Add("AWS_ENDPOINT_URL_S3", "${{ vars.AWS_ENDPOINT_URL_S3 }}");
        }

        if (shape.SharesTracking)
        {
            env.Add("ESTEIRA_TRACKING_URI", "${{ secrets.ESTEIRA_TRACKING_URI }}");
        }

        return env;
    }

    private static IEnumerable<string> Header(WorkspaceShape shape)
    {
        yield return "Generated by `esteira ci github`; regenerate it rather than editing (docs/ci.md).";
        yield return $"Experiments: {string.Join(", ", shape.Experiments)}.";
        yield return "Repository secrets/variables to set (Settings > Secrets and variables > Actions):";
        if (shape.SharesTracking)
        {
            yield return "  secret ESTEIRA_TRACKING_URI: the PostgreSQL tracking store, postgresql://USER:PASSWORD@HOST/DB.";
        }

        if (shape.SharesArtifacts)
        {
            yield return "  secrets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; variables AWS_REGION, AWS_ENDPOINT_URL_S3 (non-AWS server only).";
        }

        yield return "  secrets KAGGLE_USERNAME, KAGGLE_KEY: read by the deploy job only, on the default branch.";
    }
}
