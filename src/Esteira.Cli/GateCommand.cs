using System.ComponentModel;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Pipeline.Runs;
using Esteira.Tracking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

public sealed class GateSettings : CommandSettings
{
    [CommandOption("--experiment <NAME>")]
    [Description("Only this experiment.")]
    public string? Experiment { get; init; }

    [CommandOption("--promote")]
    [Description("Make the best passing challenger the workspace's champion (the default branch's pipeline does; a merge request never should).")]
    public bool Promote { get; init; }
}

/// <summary>
/// <c>esteira gate</c>: the workspace gate over each experiment's latest run of the commit being built (CI_COMMIT_SHA,
/// GITHUB_SHA or git HEAD). Every experiment competes with the one champion of the workspace; a challenger worse than it
/// is refused and the command exits 1, so a pipeline stops before deploy and the report says why.
/// </summary>
public sealed class GateCommand(IAnsiConsole console) : AsyncCommand<GateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GateSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace (no esteira.yaml here or above); run 'esteira init DIR' first");
        var gated = await WorkspaceGating.GateLatestAsync(Workspace.Load(root), settings.Experiment, settings.Promote, TimeProvider.System, cancellationToken);
        foreach (var experiment in gated.WithoutRun)
        {
            console.MarkupLineInterpolated($"[yellow]{experiment}[/]: no finished run{(gated.Commit is { } commit ? $" of commit {commit[..Math.Min(12, commit.Length)]}" : "")}; run 'esteira run'");
        }

        var result = gated.Gate ?? throw new EsteiraException(ErrorCode.NotFound, "no run to gate in the tracking store; run 'esteira run' first");
        TrackingRender.WorkspaceGate(console, result);
        if (!result.Passed)
        {
            var refused = result.Runs.Where(r => r.Role == GateRole.Refused).Select(r => $"{r.Experiment} (run {r.RunId}: {r.Verdict!.Summary})");
            throw new EsteiraException(ErrorCode.GateFailed, $"the gate refused {string.Join("; ", refused)}");
        }

        return 0;
    }
}
