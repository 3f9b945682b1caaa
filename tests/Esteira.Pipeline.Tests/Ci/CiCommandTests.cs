using Esteira.Cli;
using Spectre.Console;

namespace Esteira.Pipeline.Tests.Ci;

/// <summary>`esteira ci gitlab|github` end to end through the real command line.</summary>
public sealed class CiCommandTests
{
    private static (int Exit, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var exit = EsteiraApp.Run(args, console);
        return (exit, writer.ToString());
    }

    [Fact]
    public void Ci_gitlab_writes_the_pipeline_and_refuses_to_overwrite_it_without_force()
    {
        using var workspace = Workspace.Create(null);
        var file = Path.Combine(workspace.Path, ".gitlab-ci.yml");

        var first = Run("ci", "gitlab", "--workspace", workspace.Path);
        Assert.Equal(0, first.Exit);
        Assert.Contains(".gitlab-ci.yml", first.Output, StringComparison.Ordinal);
        var generated = File.ReadAllText(file);

        File.WriteAllText(file, "# hand edited\n");
        Assert.Equal(2, Run("ci", "gitlab", "--workspace", workspace.Path).Exit);
        Assert.Equal("# hand edited\n", File.ReadAllText(file));

        Assert.Equal(0, Run("ci", "gitlab", "--workspace", workspace.Path, "--force").Exit);
        Assert.Equal(generated, File.ReadAllText(file));
        Assert.Empty(Directory.GetFiles(workspace.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_refusal_says_how_to_overwrite_or_write_elsewhere()
    {
        using var workspace = Workspace.Create(null);
        Esteira.Pipeline.Ci.CiGeneration.Write(Esteira.Pipeline.Ci.CiPlatform.GitHub, workspace.Path, null, force: false);

        var error = Assert.Throws<EsteiraException>(() => Esteira.Pipeline.Ci.CiGeneration.Write(Esteira.Pipeline.Ci.CiPlatform.GitHub, workspace.Path, null, force: false));

        Assert.Equal(ErrorCode.Conflict, error.Code);
        Assert.Contains("esteira.yml already exists", error.Message, StringComparison.Ordinal);
        Assert.Contains("--force", error.Message, StringComparison.Ordinal);
        Assert.Contains("--out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_github_writes_into_dot_github_workflows_creating_the_folders()
    {
        using var workspace = Workspace.Create("deploy: kaggle\n", "baseline", "deep");

        var result = Run("ci", "github", "--workspace", workspace.Path, "--json");

        Assert.Equal(0, result.Exit);
        Assert.True(File.Exists(Path.Combine(workspace.Path, ".github", "workflows", "esteira.yml")));

        // --json is snake_case like every other command's
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        var keys = json.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("shared_tracking", keys);
        Assert.Contains("deploy_target", keys);
        Assert.All(keys, k => Assert.Matches("^[a-z0-9_]+$", k));
    }

    [Fact]
    public void Out_writes_to_another_path_relative_to_the_workspace()
    {
        using var workspace = Workspace.Create(null);

        Assert.Equal(0, Run("ci", "gitlab", "--workspace", workspace.Path, "--out", "ci/pipeline.yml").Exit);

        Assert.True(File.Exists(Path.Combine(workspace.Path, "ci", "pipeline.yml")));
        Assert.False(File.Exists(Path.Combine(workspace.Path, ".gitlab-ci.yml")));
    }

    [Fact]
    public void A_malformed_esteira_yaml_exits_2()
    {
        using var workspace = Workspace.Create("tracking: [oops]\n", "baseline");

        Assert.Equal(2, Run("ci", "github", "--workspace", workspace.Path).Exit);
    }
}

/// <summary>Secrets in the environment of `esteira ci` never reach the files or the output.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class CiSecretTests
{
    private static readonly Dictionary<string, string> FakeSecrets = new()
    {
        ["KAGGLE_USERNAME"] = "fake-kaggle-user-7c1d",
        ["KAGGLE_KEY"] = "fake-kaggle-key-5f0b9a2e",
        ["AWS_ACCESS_KEY_ID"] = "AKIAFAKEFAKEFAKE7777",
        ["AWS_SECRET_ACCESS_KEY"] = "fake/aws+secret/9d8c7b6a5f4e3d2c1b0a",
        ["AWS_SESSION_TOKEN"] = "fake-session-token-31337",
        ["ESTEIRA_TRACKING_URI"] = "postgresql://ci:fake-pg-password-0042@db/esteira",
        ["GITHUB_TOKEN"] = "ghs_fakeGithubToken000111222",
        ["CI_JOB_TOKEN"] = "fake-ci-job-token-abcdef",
    };

    [Theory]
    [MemberData(nameof(Shapes.Names), MemberType = typeof(Shapes))]
    public void No_secret_value_from_the_environment_appears_in_generated_files_or_output(string shape)
    {
        var saved = FakeSecrets.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var (name, value) in FakeSecrets)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            using var workspace = Shapes.Create(shape);
            var writer = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No });
            Assert.Equal(0, EsteiraApp.Run(["ci", "gitlab", "--workspace", workspace.Path], console));
            Assert.Equal(0, EsteiraApp.Run(["ci", "github", "--workspace", workspace.Path], console));

            var texts = new[]
            {
                File.ReadAllText(Path.Combine(workspace.Path, ".gitlab-ci.yml")),
                File.ReadAllText(Path.Combine(workspace.Path, ".github", "workflows", "esteira.yml")),
                writer.ToString(),
            };
            foreach (var text in texts)
            {
                foreach (var secret in FakeSecrets.Values)
                {
                    Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
