using System.Globalization;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;
using Esteira.Tracking;

namespace Esteira.Reporting.Report;

/// <summary>The report's file format; the Markdown is always produced too, for posting.</summary>
public enum ReportFormat
{
    /// <summary>A Markdown file, <c>report.md</c>.</summary>
    Markdown,
    /// <summary>A self-contained HTML page, <c>report.html</c>.</summary>
    Html,
}

/// <summary>What to report on and where to write it.</summary>
public sealed record ReportRequest
{
    /// <summary>One experiment, or null for all of the workspace's.</summary>
    public string? Experiment { get; init; }

    /// <summary><c>champion</c> or a run id.</summary>
    public string Against { get; init; } = TrackingLookup.Champion;

    /// <summary>The registered model whose champion to compare with; null for each experiment's own name.</summary>
    public string? Model { get; init; }

    /// <summary>The format of the report file written to <see cref="OutDir"/>.</summary>
    public ReportFormat Format { get; init; } = ReportFormat.Markdown;

    /// <summary>The folder the report and its PNGs go to (created when missing).</summary>
    public required string OutDir { get; init; }
}

/// <summary>The headline of one experiment in the report.</summary>
public sealed record ExperimentReport(
    string Experiment, string ModelKey, double CvRmsle, string? Baseline, double? BaselineCvRmsle, long? RunId, bool? GatePassed, bool SegmentsCompared)
{
    /// <summary>True when the result is a rerun of the baseline's experiment on the same data: nothing for the gate to decide.</summary>
    public bool ReproducesBaseline { get; init; }

    /// <summary>The tracked name of the score (<c>cv_rmsle</c>, <c>cv_auc</c>, …).</summary>
    public string Metric { get; init; } = EvalMetric.Rmsle.TrackingKey;
}

/// <summary>What <see cref="Reports.WriteAsync"/> wrote.</summary>
/// <param name="ReportPath">report.md or report.html.</param>
/// <param name="OutDir">The folder holding it and the PNGs.</param>
/// <param name="Markdown">The report as Markdown (what <c>--post</c> sends), whatever the file format.</param>
/// <param name="Figures">The PNG files, full paths.</param>
/// <param name="Experiments">One headline per experiment.</param>
/// <param name="Notes">What could not be included and why (tracking store unreachable, no champion…).</param>
public sealed record ReportResult(string ReportPath, string OutDir, string Markdown, IReadOnlyList<string> Figures, IReadOnlyList<ExperimentReport> Experiments, IReadOnlyList<string> Notes);

/// <summary>
/// <c>esteira report</c>: what the workspace's current results say, against the champion. Reads the cached outputs of
/// the current plan (it never trains) and, when available, the tracking store and the artifact store.
/// </summary>
public static class Reports
{
    /// <summary>The file name of the Markdown report.</summary>
    public const string MarkdownFile = "report.md";
    /// <summary>The file name of the HTML report.</summary>
    public const string HtmlFile = "report.html";
    private const string CvFigure = "cv-vs-public.png";

    /// <summary>Writes the report and its figures into <see cref="ReportRequest.OutDir"/>.</summary>
    /// <param name="workspace">The loaded workspace.</param>
    /// <param name="request">What to report.</param>
    /// <param name="environment">Variables (ESTEIRA_TRACKING_URI, ESTEIRA_ARTIFACTS_URI, AWS_*); a name → value lookup.</param>
    /// <param name="cancellationToken">Cancels the tracking and store calls.</param>
    /// <exception cref="EsteiraException">The current results are not cached (<see cref="ErrorCode.NotFound"/>: run esteira run first),
    /// or <c>--against</c> is malformed or names a missing run.</exception>
    public static async Task<ReportResult> WriteAsync(Workspace workspace, ReportRequest request, Func<string, string?> environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(environment);
        TrackingLookup.ParseAgainst(request.Against);
        var plan = WorkspaceRunner.Plan(workspace, new RunRequest { OutDir = request.OutDir, Experiment = request.Experiment });
        var cache = new StageCache(workspace.StateFolder);
        var features = Cached(cache, plan.Single(p => p.Id == WorkspaceRunner.FeaturesStage));
        // One experiment that did not train (it failed, or its CI job did not push) must not hide what the others say.
        var experiments = new List<(string Name, PlannedStage Model)>();
        var notes = new List<string>();
        foreach (var e in workspace.Experiments.Where(e => request.Experiment is null || e.Name == request.Experiment))
        {
            var model = plan.Single(p => p.Id == "train:" + e.Name);
            if (cache.CachedRun(model.Key) is null)
            {
                notes.Add(NotCached(model).Message);
            }
            else
            {
                experiments.Add((e.Name, model));
            }
        }

        if (experiments.Count == 0)
        {
            throw NotCached(plan.First(p => p.Id.StartsWith("train:", StringComparison.Ordinal)));
        }

        await using var tracking = await OpenTrackingAsync(workspace, environment, notes, cancellationToken);
        using var artifacts = OpenArtifacts(workspace, environment, notes);
        var outDir = Path.GetFullPath(request.OutDir);
        Directory.CreateDirectory(outDir);

        // A figure left by an earlier report (a segment comparison that is no longer possible) must not pass for current.
        foreach (var stale in experiments.SelectMany(e => ExperimentSection.FigureFiles(e.Name)).Append(CvFigure))
        {
            File.Delete(Path.Combine(outDir, stale));
        }

        var featuresFolder = cache.EntryFolder(features.Key);
        var summary = GepiiiStages.ReadSummary(featuresFolder);
        var blocks = new List<Block>();
        var headlines = new List<ExperimentReport>();
        var experimentBlocks = new List<Block>();
        foreach (var (name, model) in experiments)
        {
            var modelFolder = cache.EntryFolder(model.Key);
            var metrics = GepiiiStages.ReadMetrics(modelFolder);
            if (summary.Profile != Pipeline.Profiles.GepiiiProfile.ProfileName)
            {
                var lookup = tracking is null ? null : await TrackingLookup.ReadAsync(tracking, name, request.Model ?? workspace.ChampionModel, request.Against, model.Key, metrics.Cv, cancellationToken);
                var (generic, headline) = ExperimentSection.Generic(name, model.Key, metrics, lookup);
                experimentBlocks.AddRange(generic);
                experimentBlocks.AddRange(ProgramOutputs(name, modelFolder, outDir));
                headlines.Add(headline);
                continue;
            }

            var data = OofData.Load(featuresFolder, modelFolder);
            TrackingFacts? facts = null;
            if (tracking is not null)
            {
                facts = await TrackingLookup.ReadAsync(tracking, name, request.Model ?? workspace.ChampionModel, request.Against, model.Key, metrics.Cv, cancellationToken);
            }

            float[]? baselineOof = null;
            string? noSegments = null;
            if (facts?.Baseline is { } baseline)
            {
                (baselineOof, noSegments) = await TrackingLookup.BaselineOofAsync(baseline, cache, artifacts?.Store, features.Key, cancellationToken);
            }

            var section = new ExperimentSection(name, model.Key, metrics, data, facts, baselineOof, noSegments, tracking is null, outDir);
            experimentBlocks.AddRange(section.Build());
            experimentBlocks.AddRange(ProgramOutputs(name, modelFolder, outDir));
            headlines.Add(section.Headline);
        }

        blocks.Add(new Heading(2, "Esteira report"));
        blocks.Add(new Paragraph(string.Create(CultureInfo.InvariantCulture,
            $"Cached results of the current inputs: {summary.TrainRows:N0} training rows, {(summary.Series > 0 ? $"{summary.Series:N0} series, " : "")}{summary.Folds.Count} {summary.FoldKind switch { "kfold" => "K-fold", "blocks" => $"K-fold ({summary.BlockDays}-day blocks)", _ => "time-block" }} folds, scored with {summary.Metric}, features key `{TrackingLookup.Short(features.Key)}`.")));
        blocks.Add(ExperimentSection.SummaryTable(headlines, EvalMetric.Find(summary.Metric)));
        if (notes.Count > 0)
        {
            blocks.Add(new BulletList(notes));
        }

        blocks.AddRange(experimentBlocks);
        if (tracking is not null)
        {
            blocks.AddRange(await SubmissionsAsync(tracking, outDir, cancellationToken));
        }

        var document = new ReportDocument("Esteira report", blocks);
        var markdown = document.ToMarkdown();
        var path = Path.Combine(outDir, request.Format == ReportFormat.Html ? HtmlFile : MarkdownFile);
        WriteAtomic(path, request.Format == ReportFormat.Html ? document.ToHtml() : markdown);
        return new ReportResult(path, outDir, markdown, document.Figures.Select(f => Path.Combine(outDir, f.File)).ToList(), headlines, notes);
    }

    /// <summary>
    /// What a notebook or command experiment left beside its predictions (the executed notebook, the program's log),
    /// copied next to the report so that the merge request's report artifact holds them, and linked.
    /// </summary>
    private static IEnumerable<Block> ProgramOutputs(string experiment, string modelFolder, string outDir)
    {
        var kept = new List<string>();
        foreach (var (file, what) in new[] { ("executed.ipynb", "the executed notebook"), ("nbconvert.log", "the notebook's log"), ("command.log", "the command's log") })
        {
            var source = Path.Combine(modelFolder, file);
            if (File.Exists(source))
            {
                var copy = $"{experiment}-{file}";
                var target = Path.Combine(outDir, copy);
                AtomicFile.Copy(source, target);
                kept.Add($"[{what}]({copy})");
            }
        }

        return kept.Count == 0 ? [] : [new Paragraph($"Kept with this result: {string.Join(", ", kept)}.")];
    }

    private static PlannedStage Cached(StageCache cache, PlannedStage stage) => cache.CachedRun(stage.Key) is not null ? stage : throw NotCached(stage);

    private static EsteiraException NotCached(PlannedStage stage) => new(ErrorCode.NotFound,
        $"{stage.Id}: no cached result for the current inputs ({WouldRun(stage.Reason)}); run esteira run first (or esteira pull to fetch it from the artifact store)");

    private static string WouldRun(string reason) =>
        reason.StartsWith("ran because ", StringComparison.Ordinal) ? "it would run because " + reason["ran because ".Length..] : reason;

    private static async Task<ITrackingStore?> OpenTrackingAsync(Workspace workspace, Func<string, string?> environment, List<string> notes, CancellationToken cancellationToken)
    {
        var uri = Stores.TrackingUri(workspace, environment);
        if (SqliteFile(uri, workspace.Root) is { } file && !File.Exists(file))
        {
            // Opening would create an empty database; there is nothing to read from one.
            notes.Add($"No tracking store yet ({Path.GetRelativePath(workspace.Root, file)} does not exist), so there is no champion to compare with and no gate verdict.");
            return null;
        }

        try
        {
            return await TrackingStores.OpenAsync(uri, workspace.Root, null, cancellationToken);
        }
        catch (EsteiraException e)
        {
            notes.Add($"The tracking store could not be read ({e.Message}); the report has no champion comparison and no gate verdict.");
            return null;
        }
    }

    private static OwnedStore? OpenArtifacts(Workspace workspace, Func<string, string?> environment, List<string> notes)
    {
        if (Stores.ArtifactsUri(workspace, environment) is null)
        {
            return null;
        }

        try
        {
            return new OwnedStore(Stores.OpenArtifacts(workspace, environment));
        }
        catch (EsteiraException e)
        {
            notes.Add($"The artifact store could not be opened ({e.Message}); a champion computed elsewhere cannot be compared segment by segment.");
            return null;
        }
    }

    /// <summary>The SQLite file a tracking URI names, or null when it names another kind of store.</summary>
    internal static string? SqliteFile(string? uri, string root)
    {
        if (string.IsNullOrWhiteSpace(uri))
        {
            return Path.Combine(root, TrackingStores.DefaultPath);
        }

        var path = uri.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? uri["sqlite:".Length..] : uri;
        if (path.Contains("://", StringComparison.Ordinal) || path.Contains('=', StringComparison.Ordinal) || uri.StartsWith("postgres", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        path = path.StartsWith("//", StringComparison.Ordinal) ? path[2..] : path;
        return Path.GetFullPath(path, root);
    }

    private static async Task<IReadOnlyList<Block>> SubmissionsAsync(ITrackingStore tracking, string outDir, CancellationToken cancellationToken)
    {
        var scored = (await tracking.ListSubmissionsAsync(new SubmissionQuery { Limit = 1000 }, cancellationToken))
            .Where(s => s.CvScore is { } cv && double.IsFinite(cv) && s.PublicScore is { } p && double.IsFinite(p))
            .ToList();
        var heading = new Heading(3, "CV vs public score");
        if (scored.Count == 0)
        {
            return [heading, new Paragraph("No submission has both a local CV score and a public score yet.")];
        }

        var gaps = scored.Select(s => s.PublicScore!.Value - s.CvScore!.Value).ToList();
        var figure = ReportPlots.CvVersusPublic(outDir, CvFigure, scored.Select(s => (s.CvScore!.Value, s.PublicScore!.Value)).ToList());
        return
        [
            heading,
            new Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"{scored.Count} scored submission(s); public − CV is {gaps.Average():+0.00000;-0.00000} on average (from {gaps.Min():+0.00000;-0.00000} to {gaps.Max():+0.00000;-0.00000}).")),
            figure,
        ];
    }

    private static void WriteAtomic(string path, string text) => AtomicFile.WriteAllText(path, text);

    /// <summary>An artifact store disposed with the report when it holds a client (S3).</summary>
    private sealed class OwnedStore(IArtifactStore store) : IDisposable
    {
        public IArtifactStore Store { get; } = store;

        public void Dispose() => (Store as IDisposable)?.Dispose();
    }
}
