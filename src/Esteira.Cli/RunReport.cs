using System.Text.Json;
using Esteira.Pipeline;
using Spectre.Console;

namespace Esteira.Cli;

/// <summary>The human-readable summary of a run.</summary>
internal static class RunReport
{
    public static void Render(IAnsiConsole console, RunResult run, IReadOnlyList<string> warnings)
    {
        foreach (var warning in warnings)
        {
            console.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }

        var quality = new Spectre.Console.Table().Title("data quality (train)").Border(TableBorder.Rounded)
            .AddColumns("building", "meter", "rows", "missing h", "constant runs (h)", "zero runs (h)", "dormant h", "level shifts", "largest shift");
        var flagged = run.Quality.Where(q => q.ConstantRuns + q.ZeroRuns + q.LevelShifts + q.DormantHours > 0).ToList();
        foreach (var q in flagged.OrderByDescending(q => q.ConstantHours + q.ZeroHours + q.DormantHours).ThenByDescending(q => q.LevelShifts).Take(12))
        {
            quality.AddRow(q.BuildingId.ToString(), q.Meter.ToString(), q.Rows.ToString("N0"), q.MissingHours.ToString("N0"),
                $"{q.ConstantRuns} ({q.ConstantHours})", $"{q.ZeroRuns} ({q.ZeroHours})", q.DormantHours.ToString("N0"), q.LevelShifts.ToString(),
                q.LargestShiftAt is null ? "" : $"×{q.LargestShiftRatio:F2} at {q.LargestShiftAt}");
        }

        quality.Caption($"{run.Series} series; {flagged.Count} with runs or level shifts (top 12 shown); {run.FlaggedRows:N0} rows in flagged runs; details in {Path.GetFileName(run.QualityReport)}");
        console.Write(quality);

        var folds = new Spectre.Console.Table().Title("time-block cross-validation").Border(TableBorder.Rounded)
            .AddColumns("fold", "validated on", "train rows", "valid rows", "RMSLE");
        foreach (var f in run.Folds)
        {
            folds.AddRow(f.Fold.ToString(), $"{f.ValidFrom} .. {f.ValidTo}", f.TrainRows.ToString("N0"), f.ValidRows.ToString("N0"), f.Rmsle.ToString("F4"));
        }

        folds.AddRow("[bold]all[/]", "", "", run.Folds.Sum(f => f.ValidRows).ToString("N0"), $"[bold]{run.CvRmsle:F4}[/]");
        console.Write(folds);
        console.MarkupLineInterpolated($"submission: [green]{run.Submission}[/] ({run.TestRows:N0} rows, checked against sample_submission.csv)");
        console.MarkupLineInterpolated($"wall time: [bold]{run.Seconds:F1} s[/]");
    }
}

/// <summary>The <c>--json</c> shape of a run.</summary>
internal static class RunJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static object From(RunResult run) => new
    {
        cv_rmsle = run.CvRmsle,
        folds = run.Folds.Select(f => new { fold = f.Fold, valid_from = f.ValidFrom, valid_to = f.ValidTo, train_rows = f.TrainRows, valid_rows = f.ValidRows, rmsle = f.Rmsle }),
        submission = run.Submission,
        quality_report = run.QualityReport,
        train_rows = run.TrainRows,
        test_rows = run.TestRows,
        series = run.Series,
        flagged_rows = run.FlaggedRows,
        stages = run.Stages.Select(s => new { name = s.Name, seconds = s.Seconds }),
        feature_importance = run.Importance.Select(p => new { feature = p.Feature, gain = p.Importance }),
        seconds = Math.Round(run.Seconds, 3),
    };
}
