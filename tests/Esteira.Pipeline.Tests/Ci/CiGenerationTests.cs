using System.Text.Json.Nodes;
using Esteira.Pipeline.Ci;

namespace Esteira.Pipeline.Tests.Ci;

public sealed class CiGenerationTests
{
    private static (string Yaml, JsonNode Json, WorkspaceShape Shape) Generate(CiPlatform platform, string shapeName)
    {
        using var workspace = Shapes.Create(shapeName);
        var result = CiGeneration.Write(platform, workspace.Path, outPath: null, force: false);
        var yaml = File.ReadAllText(result.Path);
        return (yaml, YamlJson.Convert(yaml), result.Shape);
    }

    [Fact]
    public void An_image_of_your_own_calls_esteira_on_PATH_and_extra_packages_are_installed_in_every_job()
    {
        var shape = WorkspaceShape.Default with { Image = "registry.example.com/team/esteira:0.9.0", AptPackages = ["jupyter-nbconvert", "python3-ipykernel"] };
        foreach (var json in new[] { YamlJson.Convert(GitLabCiGenerator.Generate(shape)), YamlJson.Convert(GitHubWorkflowGenerator.Generate(shape)) })
        {
            var text = json.ToJsonString();
            Assert.Contains("registry.example.com/team/esteira:0.9.0", text, StringComparison.Ordinal);
            Assert.Contains("apt-get install -y -qq --no-install-recommends jupyter-nbconvert python3-ipykernel", text, StringComparison.Ordinal);
            Assert.DoesNotContain(PipelineCommands.RestoreTool, text, StringComparison.Ordinal);
            Assert.DoesNotContain(PipelineCommands.LocalTool, text, StringComparison.Ordinal);
        }

        Assert.Empty(CiSchemas.Errors(CiSchemas.GitLab, YamlJson.Convert(GitLabCiGenerator.Generate(shape))));
        Assert.Empty(CiSchemas.Errors(CiSchemas.GitHub, YamlJson.Convert(GitHubWorkflowGenerator.Generate(shape))));
    }

    [Fact]
    public void A_package_name_that_is_not_one_is_refused_before_it_reaches_a_shell_line()
    {
        var e = Assert.Throws<EsteiraException>(() => WorkspaceShapeReader.CheckAptPackages(["jupyter; rm -rf /"], "--apt"));
        Assert.Equal(ErrorCode.Usage, e.Code);
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void The_GitLab_pipeline_is_valid_against_the_GitLab_CI_schema(string shape)
    {
        var (_, json, _) = Generate(CiPlatform.GitLab, shape);

        Assert.Empty(CiSchemas.Errors(CiSchemas.GitLab, json));
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void The_GitHub_workflow_is_valid_against_the_GitHub_workflow_schema(string shape)
    {
        var (_, json, _) = Generate(CiPlatform.GitHub, shape);

        Assert.Empty(CiSchemas.Errors(CiSchemas.GitHub, json));
    }

    [Fact]
    public void The_schemas_do_catch_a_broken_pipeline()
    {
        // A misspelt keyword and a wrong type: if these passed, the validations above would prove nothing.
        var gitlab = YamlJson.Convert("stages: [build]\njob:\n  stage: build\n  scirpt: [make]\n");
        var github = YamlJson.Convert("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: hello\n");

        Assert.NotEmpty(CiSchemas.Errors(CiSchemas.GitLab, gitlab));
        Assert.NotEmpty(CiSchemas.Errors(CiSchemas.GitHub, github));
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void Every_plain_scalar_means_the_same_to_YAML_1_1_and_1_2_readers(string shape)
    {
        foreach (var platform in new[] { CiPlatform.GitLab, CiPlatform.GitHub })
        {
            var (yaml, _, _) = Generate(platform, shape);

            foreach (var scalar in YamlJson.PlainScalars(yaml))
            {
                Assert.True(YamlJson.Yaml11Type(scalar.Value!) == YamlJson.Yaml12Type(scalar.Value!),
                    $"{platform}: plain '{scalar.Value}' at {scalar.Start} is a {YamlJson.Yaml11Type(scalar.Value!)} in YAML 1.1 but a {YamlJson.Yaml12Type(scalar.Value!)} in 1.2; it must be quoted");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void GitLab_has_the_stages_in_order_and_one_parallel_train_job_per_experiment(string shape)
    {
        var (_, json, model) = Generate(CiPlatform.GitLab, shape);
        var experiments = Shapes.ExpectedExperiments(shape);

        Assert.Equal(["validate", "train", "gate", "report", "deploy"], Strings(json["stages"]));
        Assert.Equal(experiments, model.Experiments);
        foreach (var experiment in experiments)
        {
            var job = json["train:" + experiment]!;
            Assert.Equal("train", (string?)job["stage"]);
            // Each train job needs only validate, so they all run at once.
            Assert.Equal(["validate"], Strings(job["needs"]));
            // The name is a string, even when it looks like a bool or a number.
            Assert.Equal(experiment, job["variables"]!["EXPERIMENT"]!.GetValue<string>());
            Assert.Contains(Strings(job["script"]), line => line.Contains("$ESTEIRA run --experiment \"$EXPERIMENT\"", StringComparison.Ordinal) && line.EndsWith("--no-promote", StringComparison.Ordinal));
        }

        Assert.Equal(experiments.Select(e => "train:" + e), json["gate"]!["needs"]!.AsArray().Select(n => (string?)n!["job"]));
        Assert.Equal(experiments.Length, json.AsObject().Count(kv => kv.Key.StartsWith("train:", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void GitLab_deploys_only_from_the_default_branch_after_the_gate(string shape)
    {
        var (_, json, model) = Generate(CiPlatform.GitLab, shape);
        var deploy = json["deploy"]!;

        Assert.Equal("deploy", (string?)deploy["stage"]);
        Assert.Equal("gate", (string?)deploy["needs"]![0]!["job"]);
        var rules = deploy["rules"]!.AsArray();
        Assert.Equal("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", (string?)Assert.Single(rules)!["if"]);
        Assert.Contains("$ESTEIRA deploy", Strings(deploy["script"]));
        if (model.DeploysToKaggle)
        {
            var check = Assert.Single(Strings(deploy["script"]), l => l.Contains("KAGGLE_KEY", StringComparison.Ordinal));
            Assert.Contains("$KAGGLE_USERNAME", check, StringComparison.Ordinal);
            Assert.Contains("$KAGGLE_KEY", check, StringComparison.Ordinal);
        }

        // The report runs after the gate even when the gate refuses, and posts to the merge request.
        Assert.Equal("gate", (string?)json["report"]!["needs"]![0]!["job"]);
        Assert.Equal("always", (string?)json["report"]!["rules"]![0]!["when"]);
        Assert.Contains("$ESTEIRA report --post --out report", Strings(json["report"]!["script"]));

        // Nothing calls the launcher of Esteira's own source tree: a workspace repository does not have it.
        Assert.DoesNotContain("./esteira", json.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(PipelineCommands.LocalTool, (string?)json["variables"]!["ESTEIRA"]);
        Assert.Contains(PipelineCommands.RestoreTool, Strings(json["default"]!["before_script"]));
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void GitLab_uses_the_SDK_image_with_libgomp_and_caches_NuGet_and_esteira(string shape)
    {
        var (_, json, model) = Generate(CiPlatform.GitLab, shape);

        Assert.Equal(PipelineCommands.Image, (string?)json["default"]!["image"]);
        Assert.Contains(Strings(json["default"]!["before_script"]), l => l.Contains("apt-get install", StringComparison.Ordinal) && l.Contains("libgomp1", StringComparison.Ordinal));
        Assert.Equal("$CI_PROJECT_DIR/.nuget/packages", (string?)json["variables"]!["NUGET_PACKAGES"]);
        var trainCaches = json["train:" + model.Experiments[0]]!["cache"]!.AsArray();
        Assert.Contains(trainCaches, c => Strings(c!["paths"]).SequenceEqual([".nuget/packages/"]));
        Assert.Contains(trainCaches, c => Strings(c!["paths"]).SequenceEqual([".esteira/cache/"]));

        // Shared stores: pull before and push after training, and the tracking store read by the gate directly.
        var train = Strings(json["train:" + model.Experiments[0]]!["script"]);
        Assert.Equal(model.SharesArtifacts, train.Contains("$ESTEIRA pull") && train.Contains("$ESTEIRA push"));
        // Without a shared tracking store the train jobs export their runs and the gate merges them.
        Assert.Equal(!model.SharesTracking, train.Contains(PipelineCommands.ExportRuns));
        Assert.Equal(!model.SharesTracking, Strings(json["gate"]!["script"]).Contains(PipelineCommands.ImportRuns));
        Assert.Contains(PipelineCommands.Gate(GitLabCiGenerator.OnDefaultBranch), Strings(json["gate"]!["script"]));
        Assert.Equal(model.SharesArtifacts ? "s3://team-ml-artifacts/esteira" : null, (string?)json["variables"]!["ESTEIRA_ARTIFACTS_URI"]);
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void GitHub_runs_one_matrix_job_per_experiment_then_gate_report_and_deploy(string shape)
    {
        var (_, json, model) = Generate(CiPlatform.GitHub, shape);
        var jobs = json["jobs"]!;

        Assert.Equal(["validate", "train", "gate", "report", "deploy"], jobs.AsObject().Select(kv => kv.Key));
        Assert.Equal(Shapes.ExpectedExperiments(shape), jobs["train"]!["strategy"]!["matrix"]!["experiment"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.False(jobs["train"]!["strategy"]!["fail-fast"]!.GetValue<bool>());
        Assert.Equal(["validate"], Strings(jobs["train"]!["needs"]));
        Assert.Equal(["train"], Strings(jobs["gate"]!["needs"]));
        Assert.Equal(["gate"], Strings(jobs["report"]!["needs"]));
        Assert.Contains("schedule", jobs.Parent!.AsObject()["on"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal(["gate"], Strings(jobs["deploy"]!["needs"]));
        Assert.Equal(GitHubWorkflowGenerator.DefaultBranch, (string?)jobs["deploy"]!["if"]);
        Assert.Equal("${{ secrets.KAGGLE_USERNAME }}", (string?)jobs["deploy"]!["env"]!["KAGGLE_USERNAME"]);
        Assert.Equal("${{ secrets.KAGGLE_KEY }}", (string?)jobs["deploy"]!["env"]!["KAGGLE_KEY"]);
        Assert.Equal("write", (string?)jobs["report"]!["permissions"]!["pull-requests"]);
        foreach (var (name, job) in jobs.AsObject())
        {
            Assert.Equal(PipelineCommands.Image, (string?)job!["container"]);
            var steps = job["steps"]!.AsArray();
            Assert.Contains(steps, s => (string?)s!["run"] == PipelineCommands.InstallNativeDependencies);
            Assert.Contains(steps, s => (string?)s!["with"]?["path"] == "~/.nuget/packages");
            Assert.Contains(steps, s => (string?)s!["run"] == PipelineCommands.RestoreTool);
            Assert.DoesNotContain(steps, s => ((string?)s!["run"])?.Contains("./esteira", StringComparison.Ordinal) == true);
            if (name is "train")
            {
                Assert.Contains(steps, s => (string?)s!["with"]?["path"] == ".esteira/cache");
            }

            if (name is "gate" && !model.SharesTracking)
            {
                Assert.Contains(steps, s => (string?)s!["run"] == PipelineCommands.ImportRuns);
            }
        }

        var env = json["env"]!;
        Assert.Equal(model.SharesTracking ? "${{ secrets.ESTEIRA_TRACKING_URI }}" : null, (string?)env["ESTEIRA_TRACKING_URI"]);
        Assert.Equal(model.SharesArtifacts ? "${{ secrets.AWS_SECRET_ACCESS_KEY }}" : null, (string?)env["AWS_SECRET_ACCESS_KEY"]);
    }

    [Fact]
    public void The_GitHub_workflow_runs_on_pushes_to_the_named_default_branch()
    {
        var json = YamlJson.Convert(GitHubWorkflowGenerator.Generate(WorkspaceShape.Default, "trunk"));

        Assert.Equal(["trunk"], Strings(json["on"]!["push"]!["branches"]));
        Assert.NotNull(json["on"]!["pull_request"]);
    }

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void No_password_from_esteira_yaml_reaches_a_generated_file(string shape)
    {
        foreach (var platform in new[] { CiPlatform.GitLab, CiPlatform.GitHub })
        {
            var (yaml, _, _) = Generate(platform, shape);

            Assert.DoesNotContain(Shapes.TrackingPassword, yaml, StringComparison.Ordinal);
            Assert.DoesNotContain("postgres://", yaml, StringComparison.Ordinal);
            Assert.DoesNotContain("postgresql://ci", yaml, StringComparison.Ordinal);
            // The endpoint and region belong to CI variables, not the file.
            Assert.DoesNotContain("minio.internal", yaml, StringComparison.Ordinal);
        }
    }

    private static List<string> Strings(JsonNode? node) => [.. node!.AsArray().Select(n => n!.GetValue<string>())];
}
