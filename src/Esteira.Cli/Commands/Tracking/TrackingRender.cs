using System.Globalization;
using Esteira.Tracking;
using Spectre.Console;

namespace Esteira.Cli.Commands.Tracking;

/// <summary>Tables for runs, comparisons and gate verdicts.</summary>
public static class TrackingRender
{
    private const int MaxMetricColumns = 6;

    /// <summary>The gate's verdict: one row per condition with its value, threshold and outcome.</summary>
    public static void GateVerdict(IAnsiConsole console, GateVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(verdict);
        var against = verdict.ChampionRunId is { } id ? $"vs champion run {id}" : "no champion yet";
        var table = new Spectre.Console.Table().Border(TableBorder.Rounded)
            .Title($"gate on {Markup.Escape(verdict.Metric)} ({(verdict.Direction == MetricDirection.Minimize ? "lower is better" : "higher is better")}; {against})")
            .AddColumns("condition", "value", "threshold", "result", "detail");
        foreach (var c in verdict.Conditions)
        {
            var result = c.Outcome switch
            {
                ConditionOutcome.Pass => "[green]pass[/]",
                ConditionOutcome.Fail => "[red]FAIL[/]",
                _ => "[grey]skipped[/]",
            };
            table.AddRow(Markup.Escape(c.Name), Number(c.Value), Number(c.Threshold), result, Markup.Escape(c.Detail));
        }

        table.Caption(verdict.Passed ? "[green]gate passed[/]" : "[red]gate failed[/]");
        console.Write(table);
    }

    /// <summary>The workspace gate: each experiment's run, its role, and the verdict table of each challenger.</summary>
    public static void WorkspaceGate(IAnsiConsole console, WorkspaceGateResult result)
    {
        var champion = result.ChampionRunId is { } c ? $"champion of {result.Model}: run {c}" : $"{result.Model} has no champion yet";
        console.MarkupLineInterpolated($"[bold]gate[/] ({champion})");
        foreach (var run in result.Runs)
        {
            switch (run.Role)
            {
                case GateRole.Champion:
                    console.MarkupLineInterpolated($"  {run.Experiment} (run {run.RunId}): reproduces the champion; nothing to decide");
                    break;
                case GateRole.Unchanged:
                    console.MarkupLineInterpolated($"  {run.Experiment} (run {run.RunId}): unchanged since the default branch gated it; not a challenger");
                    break;
                default:
                    var role = run.Role == GateRole.Passed ? "[green]passed[/]" : "[red]REFUSED[/]";
                    console.MarkupLine($"  {Markup.Escape(run.Experiment)} (run {run.RunId}): {role} — {Markup.Escape(run.Verdict!.Summary)}");
                    GateVerdict(console, run.Verdict);
                    break;
            }
        }

        if (result.Promoted is { } promoted)
        {
            console.MarkupLineInterpolated($"[green]run {promoted} is now the champion of {result.Model}[/]");
        }
    }

    internal static void RunList(IAnsiConsole console, IReadOnlyList<RunSummary> runs, string? sort, string location)
    {
        if (runs.Count == 0)
        {
            console.MarkupLineInterpolated($"no runs recorded in {location} yet (or none match); 'esteira run' records one");
            return;
        }

        // CV figures first (what runs are compared on), then the rest by name; the sort column leads
        var names = runs.SelectMany(r => r.Metrics.Keys).Distinct()
            .OrderBy(n => n.StartsWith("cv_", StringComparison.Ordinal) ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).ToList();
        if (sort is not null && names.Remove(sort))
        {
            names.Insert(0, sort);
        }

        var rows = runs.Select(run => new[]
        {
            run.Id.ToString(CultureInfo.InvariantCulture), run.Experiment, run.Status.ToString().ToLowerInvariant(),
            run.StartedAt.ToString(run.StartedAt.Year == TimeProvider.System.GetUtcNow().Year ? "MM-dd HH:mm" : "yyyy-MM-dd", CultureInfo.InvariantCulture), Duration(run.Duration),
            run.GatePassed switch { true => "pass", false => "fail", null => "" },
        }).ToList();
        string[] fixedHeaders = ["id", "experiment", "status", "started", "duration", "gate"];

        // Columns are never wrapped (a wrapped "base/line" or number is unreadable): as many metric columns as fit the
        // terminal are shown, the rest are named in the caption and all are in --json.
        static int Width(string header, IEnumerable<string> cells) => Math.Max(header.Length, cells.Select(c => c.Length).DefaultIfEmpty(0).Max()) + 3;
        var used = 1 + fixedHeaders.Select((h, i) => Width(h, rows.Select(r => r[i]))).Sum();
        var shown = new List<string>();
        foreach (var name in names.Take(MaxMetricColumns))
        {
            var width = Width(name, runs.Select(r => r.Metrics.TryGetValue(name, out var v) ? Number(v) : ""));
            if (used + width > console.Profile.Width && shown.Count > 0)
            {
                break;
            }

            shown.Add(name);
            used += width;
        }

        var table = new Spectre.Console.Table().Border(TableBorder.Rounded);
        foreach (var header in fixedHeaders)
        {
            table.AddColumn(new TableColumn(header).NoWrap());
        }

        table.Columns[0].RightAligned();
        foreach (var name in shown)
        {
            table.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned().NoWrap());
        }

        foreach (var (run, row) in runs.Zip(rows))
        {
            var cells = new List<string>
            {
                row[0], Markup.Escape(row[1]), Status(run.Status), row[3], row[4],
                run.GatePassed switch { true => "[green]pass[/]", false => "[red]fail[/]", null => "" },
            };
            cells.AddRange(shown.Select(n => run.Metrics.TryGetValue(n, out var v) ? Number(v) : ""));
            table.AddRow(cells.ToArray());
        }

        var hidden = names.Except(shown).ToList();
        var more = hidden.Count > 0 ? $"; not shown: {string.Join(", ", hidden.Take(4))}{(hidden.Count > 4 ? ", …" : "")} (--json; --sort NAME puts one first)" : "";
        table.Caption($"{runs.Count} run(s) from {Markup.Escape(location)}; times in UTC{Markup.Escape(more)}");
        console.Write(table);
    }

    internal static void RunDetail(IAnsiConsole console, Run run)
    {
        var head = new Spectre.Console.Table().Border(TableBorder.Rounded).Title($"run {run.Id}").AddColumns("field", "value");
        head.AddRow("experiment", Markup.Escape(run.Experiment));
        head.AddRow("status", Status(run.Status));
        head.AddRow("started (UTC)", run.StartedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        head.AddRow("ended (UTC)", run.EndedAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "");
        head.AddRow("duration", Duration(run.Duration));
        if (run.Error is not null)
        {
            head.AddRow("error", Markup.Escape(run.Error));
        }

        head.AddRow("owner", Markup.Escape($"{run.Owner.Host} pid {run.Owner.ProcessId}"));
        var l = run.Lineage;
        AddIf(head, "git commit", l.GitCommit is null ? null : l.GitCommit + (l.GitDirty == true ? " (dirty)" : ""));
        AddIf(head, "dataset hash", l.DatasetHash);
        AddIf(head, "experiment hash", l.ExperimentHash);
        AddIf(head, "esteira version", l.EsteiraVersion);
        AddIf(head, "machine", l.Machine);
        if (l.BlendOf.Count > 0)
        {
            head.AddRow("blend of", Markup.Escape(string.Join(" + ", l.BlendOf.Select(p => $"{Number(p.Weight)} × run {p.RunId}"))));
        }

        console.Write(head);
        KeyValues(console, "params", run.Params);
        Metrics(console, run);
        if (run.Stages.Count > 0)
        {
            var stages = new Spectre.Console.Table().Border(TableBorder.Rounded).Title("stages").AddColumns("stage", "seconds");
            stages.Columns[1].RightAligned();
            foreach (var s in run.Stages)
            {
                stages.AddRow(Markup.Escape(s.Stage), s.Seconds.ToString("F1", CultureInfo.InvariantCulture));
            }

            console.Write(stages);
        }

        KeyValues(console, "artifacts", run.Artifacts);
        KeyValues(console, "tags", run.Tags);
        if (run.Gate is not null)
        {
            GateVerdict(console, run.Gate);
        }
    }

    internal static void Comparison(IAnsiConsole console, IReadOnlyList<Run> runs, RunComparisonTable comparison, bool all)
    {
        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).AddColumns("", "key");
        foreach (var run in runs)
        {
            table.AddColumn(new TableColumn($"run {run.Id}").RightAligned());
        }

        foreach (var row in comparison.Rows)
        {
            var cells = new List<string> { $"[grey]{row.Section}[/]", Markup.Escape(row.Key) };
            if (row.Numbers is { } numbers)
            {
                var present = numbers.Where(n => n is { } v && double.IsFinite(v)).Select(n => n!.Value).ToList();
                // Mark the lowest value: most of this project's metrics are errors (rmsle, rmse).
                var best = present.Count > 1 && row.Differs ? present.Min() : (double?)null;
                cells.AddRange(numbers.Select(n => n is { } v ? (v == best ? $"[bold green]{Number(v)}[/]" : Number(v)) : "[grey]–[/]"));
            }
            else
            {
                cells.AddRange(row.Values.Select(v => v is null ? "[grey]–[/]" : Markup.Escape(v)));
            }

            table.AddRow(cells.ToArray());
        }

        if (comparison.Rows.Count == 0)
        {
            console.MarkupLine("these runs record the same params and metrics; --all shows them");
            return;
        }

        console.Write(table);
        // A line of its own rather than a caption: captions wrap to the table's width.
        console.MarkupLine(all || comparison.HiddenRows == 0
            ? $"{comparison.Rows.Count} row(s)"
            : $"{comparison.Rows.Count} row(s) that differ; {comparison.HiddenRows} identical row(s) hidden (--all shows them)");
    }

    private static void Metrics(IAnsiConsole console, Run run)
    {
        var points = run.Metrics.Where(m => m.Step is null).ToList();
        if (points.Count == 0)
        {
            return;
        }

        var folds = points.Where(m => m.Fold is not null).Select(m => m.Fold!.Value).Distinct().Order().ToList();
        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).Title("metrics").AddColumns("metric", "overall");
        table.Columns[1].RightAligned();
        foreach (var f in folds)
        {
            table.AddColumn(new TableColumn($"fold {f}").RightAligned());
        }

        foreach (var name in points.Select(m => m.Name).Distinct())
        {
            var cells = new List<string> { Markup.Escape(name), Number(points.FirstOrDefault(m => m.Name == name && m.Fold is null)?.Value) };
            cells.AddRange(folds.Select(f => Number(points.FirstOrDefault(m => m.Name == name && m.Fold == f)?.Value)));
            table.AddRow(cells.ToArray());
        }

        var history = run.Metrics.Count - points.Count;
        if (history > 0)
        {
            table.Caption($"{history} step value(s) not shown; see --json");
        }

        console.Write(table);
    }

    private static void KeyValues(IAnsiConsole console, string title, IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0)
        {
            return;
        }

        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).Title(title).AddColumns("name", "value");
        foreach (var (key, value) in map)
        {
            table.AddRow(Markup.Escape(key), Markup.Escape(value));
        }

        console.Write(table);
    }

    private static void AddIf(Spectre.Console.Table table, string field, string? value)
    {
        if (value is not null)
        {
            table.AddRow(field, Markup.Escape(value));
        }
    }

    private static string Status(RunStatus status) => status switch
    {
        RunStatus.Running => "[blue]running[/]",
        RunStatus.Finished => "[green]finished[/]",
        _ => "[red]failed[/]",
    };

    private static string Duration(TimeSpan? duration) => duration switch
    {
        null => "",
        { TotalHours: >= 1 } d => d.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture),
        { } d => d.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s",
    };

    private static string Number(double? value) => value switch
    {
        null => "",
        { } v when double.IsNaN(v) => "NaN",
        // Counts (rows, iterations) read better whole than as 1.00026E+06.
        { } v when v == Math.Round(v) && Math.Abs(v) < 1e15 => v.ToString("0", CultureInfo.InvariantCulture),
        { } v => v.ToString("G6", CultureInfo.InvariantCulture),
    };
}
