using System.ComponentModel;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Tracking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

public sealed class GateSettings : CommandSettings
{
    [CommandOption("--experiment <NAME>")]
    [Description("Only this experiment.")]
    public string? Experiment { get; init; }
}

/// <summary>
/// <c>esteira gate</c>: the stored verdict of each experiment's latest tracked run. Exits 1 when no latest run
/// passed, so a CI pipeline stops before deploy when nothing beat its champion.
/// </summary>
public sealed class GateCommand(IAnsiConsole console) : AsyncCommand<GateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GateSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace (no esteira.yaml here or above); run 'esteira init DIR' first");
        var workspace = Workspace.Load(root);
        if (workspace.Gate is null)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{Path.Combine(root, Workspace.FileName)}: no 'gate' section; add one (see docs/contract.md) to gate challengers");
        }

        await using var store = await TrackingStores.OpenAsync(Environment.GetEnvironmentVariable("ESTEIRA_TRACKING_URI") ?? workspace.Tracking, root, cancellationToken: cancellationToken);
        var passed = 0;
        var seen = 0;
        foreach (var experiment in workspace.Experiments.Where(e => settings.Experiment is null || e.Name == settings.Experiment))
        {
            var runs = await store.ListRunsAsync(new RunQuery { Experiment = experiment.Name, Status = RunStatus.Finished }, cancellationToken);
            var latest = runs.Count > 0 ? runs[0] : null;
            var run = latest is null ? null : await store.GetRunAsync(latest.Id, cancellationToken);
            if (run?.Gate is not { } verdict)
            {
                console.MarkupLineInterpolated($"[bold]{experiment.Name}[/]: no gated run yet; run 'esteira run'");
                continue;
            }

            seen++;
            passed += verdict.Passed ? 1 : 0;
            console.MarkupLineInterpolated($"[bold]{experiment.Name}[/]: latest run {run.Id}");
            TrackingRender.GateVerdict(console, verdict);
        }

        return seen > 0 && passed == 0
            ? throw new EsteiraException(ErrorCode.GateFailed, "no experiment's latest run passed the gate; nothing to deploy")
            : seen == 0
                ? throw new EsteiraException(ErrorCode.NotFound, "no gated runs in the tracking store; run 'esteira run' first")
                : 0;
    }
}
