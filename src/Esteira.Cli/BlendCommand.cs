using System.ComponentModel;
using System.Globalization;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Pipeline.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

public sealed class BlendSettings : CommandSettings
{
    [CommandArgument(0, "<RUN>")]
    [Description("Tracked runs to blend (two or more), trained on the same features and folds.")]
    public long[] Runs { get; init; } = [];

    [CommandOption("--name <NAME>")]
    [Description("Experiment name of the blend run (default: blend).")]
    public string Name { get; init; } = "blend";

    [CommandOption("--out <DIR>")]
    [Description("Where the blend's submission goes (default: out/NAME).")]
    public string? Out { get; init; }

    public override ValidationResult Validate() =>
        Runs.Length < 2 ? ValidationResult.Error("give at least two runs to blend") : ValidationResult.Success();
}

/// <summary>
/// <c>esteira blend RUN RUN…</c>: the cached stage <c>blend:NAME</c> (<see cref="BlendStage"/>) over the runs' model outputs, recorded as a
/// run whose lineage names its parts and weights, then gated.
/// </summary>
public sealed class BlendCommand(IAnsiConsole console) : AsyncCommand<BlendSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, BlendSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace; run 'esteira init DIR' first");
        var (parts, blend, runId, gate) = await BlendAndTrack.RunAsync(Workspace.Load(root), settings.Runs, settings.Name, settings.Out, cancellationToken);
        var metrics = blend.Metrics;
        console.MarkupLineInterpolated($"{blend.Stage.Id}: {blend.Stage.Reason}");
        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).Title($"blend → run {runId}").AddColumns("run", "experiment", $"OOF {metrics.Metric.ToUpperInvariant()}", "weight");
        for (var i = 0; i < parts.Parts.Count; i++)
        {
            var part = parts.Parts[i].Run;
            table.AddRow(part.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(part.Experiment), part.Metric("cv_" + metrics.Metric)?.ToString("F5", CultureInfo.InvariantCulture) ?? "–", blend.Weights[i].ToString("F4", CultureInfo.InvariantCulture));
        }

        table.AddRow("[bold]blend[/]", "", $"[bold]{metrics.Cv:F5}[/]", "");
        console.Write(table);
        console.MarkupLineInterpolated($"submission: [green]{blend.Submission}[/]");
        if (gate is not null)
        {
            TrackingRender.GateVerdict(console, gate.Verdict);
        }

        return 0;
    }
}
