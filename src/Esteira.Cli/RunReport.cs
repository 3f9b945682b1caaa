using System.Globalization;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Pipeline.Runs;
using Spectre.Console;

namespace Esteira.Cli;

/// <summary>The human-readable summary of a run.</summary>
internal static class RunReport
{
    private static string CvTitle(RunResult r) =>
        r.BacktestDays is { } days ? $"backtest: {days}-day windows (the test's horizon) from each fold's origin"
        : r.BlockDays is { } block ? $"{r.Folds.Count}-fold cross-validation over {block}-day blocks dealt in turn (the test sits between training days)"
        : r.Folds.All(f => f.ValidFrom.Length == 0) ? $"{r.Folds.Count}-fold cross-validation" : "time-block cross-validation";

    /// <summary>What the tabular profile inferred from the data: one row per column.</summary>
    private static void RenderSchema(IAnsiConsole console, IReadOnlyList<Esteira.Data.Tabular.TabularColumn> schema)
    {
        var table = new Spectre.Console.Table().Title("inferred from the data (override with --id, --target, --time, --task or competition: in esteira.yaml)")
            .Border(TableBorder.Rounded).AddColumns("column", "role", "type", "missing", "distinct", "note");
        foreach (var c in schema)
        {
            table.AddRow(Markup.Escape(c.Name), Markup.Escape(c.Role), Markup.Escape(c.Type), c.Missing.ToString("N0"), c.Distinct.ToString("N0"), Markup.Escape(c.Note ?? ""));
        }

        console.Write(table);
    }

    public static void Render(IAnsiConsole console, IReadOnlyList<RunResult> runs, ProgressObserver observer)
    {
        foreach (var info in observer.Infos)
        {
            console.MarkupLineInterpolated($"[grey]{info}[/]");
        }

        foreach (var warning in observer.Warnings)
        {
            console.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }

        var run = runs[0];
        if (run.Schema.Count > 0)
        {
            RenderSchema(console, run.Schema);
        }

        if (run.Series > 0)
        {
            var quality = new Spectre.Console.Table().Title("data quality (train)").Border(TableBorder.Rounded)
                .AddColumns("building", "meter", "rows", "missing h", "constant runs (h)", "zero runs (h)", "dormant h", "stale regime", "level shifts");
            var flagged = run.Quality.Where(q => q.ConstantRuns + q.ZeroRuns + q.LevelShifts + q.DormantHours + q.StaleRegimeHours > 0).ToList();
            foreach (var q in flagged.OrderByDescending(q => q.ConstantHours + q.ZeroHours + Math.Max(q.DormantHours, q.StaleRegimeHours)).ThenByDescending(q => q.LevelShifts).Take(12))
            {
                quality.AddRow(q.BuildingId.ToString(), q.Meter.ToString(), q.Rows.ToString("N0"), q.MissingHours.ToString("N0"),
                    $"{q.ConstantRuns} ({q.ConstantHours})", $"{q.ZeroRuns} ({q.ZeroHours})", q.DormantHours.ToString("N0"),
                    q.RegimeStart is null ? "" : $"{q.StaleRegimeHours:N0} h before {q.RegimeStart}",
                    q.LevelShifts == 0 ? "0" : $"{q.LevelShifts} (×{q.LargestShiftRatio:F2} at {q.LargestShiftAt})");
            }

            quality.Caption($"{run.Series} series; {flagged.Count} with findings (top 12 shown); {run.FlaggedRows:N0} rows flagged; details in {run.QualityReport}");
            console.Write(quality);
        }

        if (run.Findings.Count > 0)
        {
            var findings = new Spectre.Console.Table().Title("data quality (all files): warnings").Border(TableBorder.Rounded).AddColumns("finding", "count", "what");
            foreach (var f in run.Findings)
            {
                findings.AddRow(new Text(f.Kind, new Style(Color.Yellow)), new Text(f.Count > 0 ? f.Count.ToString("N0") : ""), new Text(f.Message));
            }

            console.Write(findings);
        }

        foreach (var r in runs)
        {
            var folds = new Spectre.Console.Table().Title(runs.Count == 1 ? CvTitle(r) : $"{Path.GetFileName(Path.GetDirectoryName(r.Submission))}: {CvTitle(r)}")
                .Border(TableBorder.Rounded).AddColumns("fold", "validated on", "rows", r.Metric.ToUpperInvariant());
            foreach (var f in r.Folds)
            {
                folds.AddRow(f.Fold.ToString(), f.ValidFrom.Length == 0 ? "" : $"{f.ValidFrom} .. {f.ValidTo}", f.ValidRows.ToString("N0"), f.Score.ToString("F4"));
            }

            folds.AddRow("[bold]all[/]", "", r.Folds.Sum(f => f.ValidRows).ToString("N0"), $"[bold]{r.Cv:F4}[/]");
            console.Write(folds);
            foreach (var k in r.Kept)
            {
                console.MarkupLineInterpolated($"meter {k.Meter}: the profile + {k.Model:0.00} × the model's departure + {k.Weather:0.00} × the weather adjustment (shares fitted on the backtest)");
            }

            if (r.Baselines is { } b)
            {
                var worst = string.Join("; ", b.Losses.Take(3).Select(l => string.Create(CultureInfo.InvariantCulture,
                    $"building {l.BuildingId} meter {l.Meter}: {l.Model:F3} vs {(l.RecentProfile < l.Profile ? "recent profile" : "profile")} {Math.Min(l.Profile, l.RecentProfile):F3}")));
                console.MarkupLineInterpolated($"a naive profile beats the model on {b.Losses.Count} of {b.Series} series (backtest){(b.Losses.Count > 0 ? "; worst: " + worst : "")}");
            }

            console.MarkupLineInterpolated($"submission: [green]{r.Submission}[/] ({r.TestRows:N0} rows, checked against the sample submission)");
        }

        console.MarkupLineInterpolated($"wall time: [bold]{run.Seconds:F1} s[/]");
    }

    /// <summary>Each experiment's tracked run, then the workspace gate's decision.</summary>
    public static void RenderTracking(IAnsiConsole console, TrackedWorkspaceRun outcome)
    {
        foreach (var t in outcome.Tracked)
        {
            console.MarkupLineInterpolated($"[bold]{t.Experiment}[/]: tracked as run {t.RunId}{(t.Reused ? " (model reused from the cache)" : "")}");
        }

        if (outcome.Gate is null)
        {
            console.MarkupLine("no gate in esteira.yaml: runs are tracked, nothing is promoted");
        }
        else
        {
            TrackingRender.WorkspaceGate(console, outcome.Gate);
        }
    }
}

/// <summary>The <c>--json</c> shape of a run.</summary>
internal static class RunJson
{
    public static object From(RunResult run, object? steps = null) => new
    {
        metric = run.Metric,
        cv = run.Cv,
        cv_rmsle = run.Metric == "rmsle" ? run.Cv : (double?)null,
        folds = run.Folds.Select(f => new { fold = f.Fold, valid_from = f.ValidFrom, valid_to = f.ValidTo, valid_rows = f.ValidRows, score = f.Score, rmsle = run.Metric == "rmsle" ? f.Score : (double?)null }),
        submission = run.Submission,
        quality_report = run.QualityReport,
        train_rows = run.TrainRows,
        test_rows = run.TestRows,
        series = run.Series,
        flagged_rows = run.FlaggedRows,
        quality_findings = run.Findings.Select(f => new { kind = f.Kind, count = f.Count, message = f.Message }),
        stages = run.Plan.Select(s => new { name = s.Id, ran = s.Run, reason = s.Reason }),
        backtest_days = run.BacktestDays,
        cv_block_days = run.BlockDays,
        kept = run.Kept.Count == 0 ? null : run.Kept.Select(k => new { meter = k.Meter, model = k.Model, weather = k.Weather }),
        baselines = run.Baselines is not { } b ? null : new
        {
            series = b.Series,
            losses = b.Losses.Count,
            worst = b.Losses.Take(10).Select(l => new { building_id = l.BuildingId, meter = l.Meter, rows = l.Rows, model = l.Model, profile = l.Profile, recent_profile = l.RecentProfile }),
        },
        feature_importance = run.Importance.Select(p => new { feature = p.Feature, gain = p.Gain }),
        steps,
        seconds = Math.Round(run.Seconds, 3),
    };
}
