using System.ComponentModel;
using Esteira.Pipeline.Ci;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Ci;

/// <summary>Registers <c>esteira ci gitlab|github</c>.</summary>
public static class CiCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("ci", ci =>
        {
            ci.SetDescription("Generate a CI pipeline (validate → train per experiment → gate → report → deploy) for this workspace.");
            ci.AddCommand<CiGitLabCommand>("gitlab")
                .WithDescription($"Write {GitLabCiGenerator.DefaultPath} for GitLab CI/CD.")
                .WithExample("ci", "gitlab")
                .WithExample("ci", "gitlab", "--force");
            ci.AddCommand<CiGitHubCommand>("github")
                .WithDescription($"Write {GitHubWorkflowGenerator.DefaultPath} for GitHub Actions.")
                .WithExample("ci", "github", "--default-branch", "master");
        });
    }
}

public class CiSettings : CommandSettings
{
    [CommandOption("--out <PATH>")]
    [Description("Where to write the file (default: the platform's usual path in the workspace).")]
    public string? Out { get; init; }

    [CommandOption("--force")]
    [Description("Overwrite the file if it exists.")]
    public bool Force { get; init; }

    [CommandOption("--workspace <DIR>")]
    [Description("The workspace folder (default: the current folder).")]
    public string Workspace { get; init; } = ".";

    [CommandOption("--json")]
    [Description("Print one JSON object instead of text.")]
    public bool Json { get; init; }

    [CommandOption("--image <IMAGE>")]
    [Description("The jobs' image (default: esteira.yaml's ci.image, else the .NET SDK image with Esteira restored from .config/dotnet-tools.json); an image of your own must have esteira on PATH.")]
    public string? Image { get; init; }

    [CommandOption("--apt <PACKAGE>")]
    [Description("A Debian package the jobs install (repeatable; default: esteira.yaml's ci.apt), e.g. --apt jupyter-nbconvert --apt python3-ipykernel for notebooks.")]
    public string[] Apt { get; init; } = [];

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }
}

public sealed class CiGitHubSettings : CiSettings
{
    [CommandOption("--default-branch <NAME>")]
    [Description("The branch whose pushes run the pipeline (default main); deploy runs on the repository's default branch only.")]
    public string DefaultBranch { get; init; } = "main";
}

public sealed class CiGitLabCommand(IAnsiConsole console) : Command<CiSettings>
{
    public override int Execute(CommandContext context, CiSettings settings, CancellationToken cancellationToken) =>
        CiRender.Show(console, settings, CiGeneration.Write(CiPlatform.GitLab, settings.Workspace, settings.Out, settings.Force, image: settings.Image, aptPackages: settings.Apt));
}

public sealed class CiGitHubCommand(IAnsiConsole console) : Command<CiGitHubSettings>
{
    public override int Execute(CommandContext context, CiGitHubSettings settings, CancellationToken cancellationToken) =>
        CiRender.Show(console, settings, CiGeneration.Write(CiPlatform.GitHub, settings.Workspace, settings.Out, settings.Force, settings.DefaultBranch, settings.Image, settings.Apt));
}

internal static class CiRender
{
    public static int Show(IAnsiConsole console, CiSettings settings, CiWriteResult result)
    {
        var shape = result.Shape;
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                path = result.Path,
                replaced = result.Replaced,
                experiments = shape.Experiments,
                shared_tracking = shape.SharesTracking,
                shared_artifacts = shape.SharesArtifacts,
                deploy_target = shape.DeployTarget,
                image = shape.JobImage,
                apt = shape.AptPackages,
            }, EsteiraJson.Options));
            return 0;
        }

        console.MarkupLineInterpolated($"[green]{(result.Replaced ? "replaced" : "wrote")}[/] {result.Path}");
        console.MarkupLineInterpolated($"  train jobs: {string.Join(", ", shape.Experiments)} (in parallel)");
        console.MarkupLineInterpolated($"  esteira: {(shape.Image is null ? $"{PipelineCommands.LocalTool} in {shape.JobImage} (dotnet tool restore; .config/dotnet-tools.json pins the version)" : $"esteira on PATH in {shape.Image}")}");
        console.MarkupLineInterpolated($"  tracking: {(shape.SharesTracking ? "PostgreSQL, shared by every job (ESTEIRA_TRACKING_URI)" : "embedded SQLite; each train job exports its runs, the gate job merges them (the champion and ledger carried in the CI cache: use PostgreSQL to make them durable)")}");
        console.MarkupLineInterpolated($"  stage outputs: {(shape.SharesArtifacts ? $"shared through {shape.ArtifactsUri} (esteira pull/push)" : "CI cache and job artifacts of .esteira/cache/")}");
        console.MarkupLineInterpolated($"  deploy: {shape.DeployTarget ?? "default target"}, default branch only, after the gate");
        console.MarkupLine("  set the CI variables listed at the top of the file; see docs/ci.md");
        return 0;
    }
}
