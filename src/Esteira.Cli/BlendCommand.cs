using Esteira.Config;
using System.ComponentModel;
using System.Globalization;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Ml;
using Esteira.Tracking;
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
/// <c>esteira blend RUN RUN…</c>: non-negative weights that minimise the out-of-fold squared error (in log space for RMSLE), applied the same
/// way to the test predictions; registered as a run whose lineage names its parts and weights, then gated.
/// </summary>
public sealed class BlendCommand(IAnsiConsole console) : AsyncCommand<BlendSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, BlendSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace; run 'esteira init DIR' first");
        var workspace = Workspace.Load(root);
        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root, cancellationToken: cancellationToken);

        var parts = new List<(Run Run, string Model)>();
        foreach (var id in settings.Runs.Distinct())
        {
            var run = await store.GetRunAsync(id, cancellationToken) ?? throw new EsteiraException(ErrorCode.NotFound, $"run {id}: not in the tracking store; see 'esteira runs list'");
            var model = run.Artifacts.GetValueOrDefault("model");
            if (model is null || !Directory.Exists(Path.Combine(model, "oof")))
            {
                throw new EsteiraException(ErrorCode.NotFound, $"run {id}: its model outputs are not in this workspace's cache; run 'esteira pull' or rerun its experiment");
            }

            parts.Add((run, model));
        }

        var features = parts.Select(p => p.Run.Lineage.DatasetHash).Distinct().ToList();
        if (features.Count != 1 || features[0] is null)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"runs {string.Join(", ", settings.Runs)} were trained on different features (dataset, folds or quality options); a blend needs the same out-of-fold rows");
        }

        var featuresFolder = Path.Combine(workspace.StateFolder, "cache", features[0]!);
        // Blend where the metric is least squares: log1p space for RMSLE (GEPIII's label is already there), else the target's units.
        var profile = Esteira.Pipeline.Profiles.CompetitionProfiles.ForFeatures(featuresFolder);
        var summary = GepiiiStages.ReadSummary(featuresFolder);
        var logSpace = summary.Metric == EvalMetric.Rmsle.Name;
        var label = ColumnTable.ReadFloat(Path.Combine(featuresFolder, "valid"), "label");
        var actual = logSpace && summary.Profile != Esteira.Pipeline.Profiles.GepiiiProfile.ProfileName ? Log1p(label) : label;
        float[] Space(float[] predictions) => logSpace ? Log1p(predictions) : predictions;
        float[] Back(float[] blended) => logSpace ? Expm1(blended) : blended;
        var oof = parts.Select(p => Space(ColumnTable.ReadFloat(Path.Combine(p.Model, "oof"), "prediction"))).ToList();
        var test = parts.Select(p => Space(ColumnTable.ReadFloat(Path.Combine(p.Model, "test"), "prediction"))).ToList();
        var fit = Blend.FitWeights(oof, actual);

        // The blend's outputs are a pure function of its parts: same parts, same folder.
        var key = Esteira.Pipeline.Cache.StageKeys.Key(parts.Select((p, i) => (p, i)).ToDictionary(x => $"part.{x.i}", x => x.p.Model));
        var output = Path.Combine(workspace.StateFolder, "blends", key);
        var work = output + $".tmp-{Environment.ProcessId}";
        Directory.CreateDirectory(work);
        var metrics = profile.WritePredictions(featuresFolder, Back(Blend.Apply(fit.Weights, oof)), Back(Blend.Apply(fit.Weights, test)), [], work);
        profile.Submission(featuresFolder, work, work, SilentObserver.Instance);
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        Directory.Move(work, output);
        var outDir = Path.GetFullPath(settings.Out ?? Path.Combine(root, "out", settings.Name));
        Directory.CreateDirectory(outDir);
        var submission = Path.Combine(outDir, GepiiiStages.SubmissionFile);
        File.Copy(Path.Combine(output, GepiiiStages.SubmissionFile), submission + ".tmp", overwrite: true);
        File.Move(submission + ".tmp", submission, overwrite: true);

        long runId;
        await using (var recorder = await RunRecorder.StartAsync(store, new NewRun
        {
            Experiment = settings.Name,
            Params = parts.Select((p, i) => (p, i)).ToDictionary(x => $"weight.run{x.p.Run.Id}", x => fit.Weights[x.i].ToString("G6", CultureInfo.InvariantCulture)),
            Lineage = new RunLineage
            {
                DatasetHash = features[0],
                ExperimentHash = key,
                EsteiraVersion = WorkspaceRunner.ToolVersion,
                Machine = Environment.MachineName,
                BlendOf = parts.Select((p, i) => new BlendPart(p.Run.Id, fit.Weights[i])).ToList(),
            },
        }, cancellationToken: cancellationToken))
        {
            runId = recorder.RunId;
            await recorder.LogMetricsAsync([new MetricPoint("cv_" + metrics.Metric, metrics.Cv), .. metrics.Folds.Select(f => new MetricPoint("cv_" + metrics.Metric, f.Score, Fold: f.Fold))], cancellationToken);
            await recorder.LogArtifactAsync("submission", submission, cancellationToken);
            await recorder.LogArtifactAsync("model", output, cancellationToken);
            await recorder.CompleteAsync(cancellationToken);
        }

        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).Title($"blend → run {runId}").AddColumns("run", "experiment", $"OOF {metrics.Metric.ToUpperInvariant()}", "weight");
        for (var i = 0; i < parts.Count; i++)
        {
            table.AddRow(parts[i].Run.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(parts[i].Run.Experiment), parts[i].Run.Metric("cv_" + metrics.Metric)?.ToString("F5", CultureInfo.InvariantCulture) ?? "–", fit.Weights[i].ToString("F4", CultureInfo.InvariantCulture));
        }

        table.AddRow("[bold]blend[/]", "", $"[bold]{metrics.Cv:F5}[/]", "");
        console.Write(table);
        console.MarkupLineInterpolated($"submission: [green]{submission}[/]");
        if (workspace.Gate is not null)
        {
            var gated = await Promotion.GateAndPromoteAsync(store, runId, GateSpec.FromYaml(workspace.Gate, defaultMetric: "cv_" + metrics.Metric), model: workspace.ChampionModel, cancellationToken: cancellationToken);
            TrackingRender.GateVerdict(console, gated.Verdict);
        }

        return 0;
    }

    private static float[] Log1p(float[] values) => values.Select(v => MathF.Log(1 + v)).ToArray();

    private static float[] Expm1(float[] values) => values.Select(v => MathF.Max(0, MathF.Exp(v) - 1)).ToArray();
}
