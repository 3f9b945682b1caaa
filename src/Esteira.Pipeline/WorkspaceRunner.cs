using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Esteira.Data;
using Esteira.Pipeline.Cache;
using Esteira.Pipeline.Profiles;

namespace Esteira.Pipeline;

/// <summary>What to run: all experiments or one, which stages to force, where submissions go.</summary>
public sealed record RunRequest
{
    /// <summary>The one experiment to run, or null for all of them.</summary>
    public string? Experiment { get; init; }
    /// <summary>Stage ids (e.g. <c>features</c>, <c>train:NAME</c>) to run even when cached.</summary>
    public IReadOnlySet<string> Force { get; init; } = new HashSet<string>();
    /// <summary>Where submissions are written.</summary>
    public required string OutDir { get; init; }

    /// <summary>Experiments trained at once; each gets cores / jobs LightGBM threads.</summary>
    public int Jobs { get; init; } = 1;
}

/// <summary>One experiment's outcome.</summary>
public sealed record ExperimentResult(string Name, ModelMetrics Metrics, string Submission, string ModelFolder);

/// <summary>The outcome of a workspace run.</summary>
public sealed record WorkspaceRunResult(int Run, IReadOnlyList<PlannedStage> Plan, FeaturesSummary Features, string FeaturesFolder, string QualityReport,
    IReadOnlyList<ExperimentResult> Experiments, double Seconds)
{
    /// <summary>Wall seconds each stage of the plan took in this run, by stage id (near zero for a stage reused from the cache).</summary>
    public IReadOnlyDictionary<string, double> StageSeconds { get; init; } = new Dictionary<string, double>();
}

/// <summary>
/// Runs a workspace as a cached DAG: <c>features</c> (ingest → validate → features, shared by all experiments),
/// then per experiment <c>train:NAME</c> (CV, final model, test predictions) and <c>check:NAME</c> (submission
/// written and checked). Each stage's outputs are cached by key; each skip and rerun is explained.
/// </summary>
public static class WorkspaceRunner
{
    /// <summary>The id of the stage shared by all experiments: ingest, validate, features.</summary>
    public const string FeaturesStage = "features";

    /// <summary>The version that goes into every key: a new Esteira build invalidates the cache.</summary>
    public static string ToolVersion { get; } = ComputeToolVersion();

    /// <summary>The workspace's stage graph with each stage's key inputs: features, then train and check per experiment (only <paramref name="only"/>'s when given).</summary>
    public static IReadOnlyList<StageSpec> Stages(Workspace workspace, FileHasher hasher, string? only = null)
    {
        var profile = workspace.Profile;
        var features = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["esteira.version"] = ToolVersion,
            ["competition.profile"] = profile.Name,
            ["cv.folds"] = workspace.Folds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cv.seed"] = workspace.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["quality.keep_flagged"] = workspace.KeepFlagged ? "true" : "false",
        };
        foreach (var (key, value) in workspace.CompetitionSettings.KeyEntries())
        {
            features[key] = value;
        }

        foreach (var (name, hash) in profile.DatasetHashes(workspace.Dataset, hasher))
        {
            features["file:" + name] = hash;
        }

        var stages = new List<StageSpec> { new(FeaturesStage, [], features) };
        foreach (var e in workspace.Experiments.Where(e => only is null || e.Name == only))
        {
            stages.Add(new StageSpec("train:" + e.Name, [FeaturesStage], new Dictionary<string, string>(e.Definition) { ["esteira.version"] = ToolVersion }));
            stages.Add(new StageSpec("check:" + e.Name, ["train:" + e.Name], new Dictionary<string, string> { ["esteira.version"] = ToolVersion }));
        }

        if (only is not null && stages.Count == 1)
        {
            throw new EsteiraException(ErrorCode.Usage, $"--experiment {only}: no such experiment; experiments are {string.Join(", ", workspace.Experiments.Select(e => e.Name))}");
        }

        return stages;
    }

    /// <summary>Plans without running anything (<c>esteira plan</c>).</summary>
    public static IReadOnlyList<PlannedStage> Plan(Workspace workspace, RunRequest request)
    {
        var cache = new StageCache(workspace.StateFolder);
        var hasher = new FileHasher(cache.StateFolder);
        var plan = PipelinePlanner.Plan(Stages(workspace, hasher, request.Experiment), cache, request.Force);
        hasher.Save();
        return plan;
    }

    /// <summary>Plans the run, executes the stages that must run (reusing cached ones) and returns the outcome.</summary>
    public static WorkspaceRunResult Run(Workspace workspace, RunRequest request, IRunObserver observer)
    {
        var clock = Stopwatch.StartNew();
        using var workspaceLock = WorkspaceLock.Acquire(workspace.StateFolder);
        var cache = new StageCache(workspace.StateFolder);
        if (cache.CleanAbandonedWork() is > 0 and var cleaned)
        {
            observer.Info($"removed {cleaned} half-written stage output(s) left by an interrupted run");
        }

        var hasher = new FileHasher(cache.StateFolder);
        var plan = PipelinePlanner.Plan(Stages(workspace, hasher, request.Experiment), cache, request.Force);
        hasher.Save();
        var run = cache.NextRunNumber();
        var byId = plan.ToDictionary(p => p.Id);
        var stageSeconds = new ConcurrentDictionary<string, double>();

        var featuresFolder = Execute(cache, byId[FeaturesStage], run, observer, stageSeconds, work =>
            workspace.Profile.Features(new FeaturesRequest(workspace.Dataset, workspace.Folds, workspace.KeepFlagged, workspace.Seed, workspace.CompetitionSettings), work, observer));
        var summary = GepiiiStages.ReadSummary(featuresFolder);
        var profile = CompetitionProfiles.ForFeatures(featuresFolder);

        var experiments = workspace.Experiments.Where(e => request.Experiment is null || e.Name == request.Experiment).ToList();
        var jobs = Math.Clamp(request.Jobs, 1, Math.Max(1, experiments.Count));
        var results = new ExperimentResult[experiments.Count];
        var threads = Math.Max(1, Environment.ProcessorCount / jobs);
        var experimentObserver = jobs > 1 ? new SerializedObserver(observer) : observer;
        try
        {
            Parallel.For(0, experiments.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, i =>
            {
                var e = experiments[i];
                var gbm = jobs > 1 && e.Gbm.Threads == 0 ? e.Gbm with { Threads = threads } : e.Gbm;
                var model = Execute(cache, byId["train:" + e.Name], run, experimentObserver, stageSeconds, work => e.Kind switch
                {
                    ExperimentKind.LightGbm => profile.TrainLightGbm(featuresFolder, gbm, work, experimentObserver),
                    ExperimentKind.Notebook => NotebookExperiment.Run(e, featuresFolder, workspace.Dataset, work, experimentObserver),
                    ExperimentKind.RecentProfile or ExperimentKind.Profile => Baselines.SeasonalProfile.Run(e.Name, e.Definition["experiment.kind"], e.Baseline!, featuresFolder, profile, work, experimentObserver),
                    _ => CommandExperiment.Run(e, featuresFolder, workspace.Dataset, work, experimentObserver),
                });
                var check = Execute(cache, byId["check:" + e.Name], run, experimentObserver, stageSeconds, work =>
                    profile.Submission(featuresFolder, model, work, experimentObserver));
                results[i] = new ExperimentResult(e.Name, GepiiiStages.ReadMetrics(model), Path.Combine(check, GepiiiStages.SubmissionFile), model);
            });
        }
        catch (AggregateException e)
        {
            var first = e.InnerExceptions.FirstOrDefault(x => x is EsteiraException) ?? e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }

        // Publish: copy the checked submissions and the quality report out of the cache (temp file, then rename).
        Directory.CreateDirectory(request.OutDir);
        var published = results.Select(r =>
        {
            var target = results.Length == 1 ? request.OutDir : Path.Combine(request.OutDir, r.Name);
            Directory.CreateDirectory(target);
            var path = Path.GetFullPath(Path.Combine(target, GepiiiStages.SubmissionFile));
            CopyAtomic(r.Submission, path);
            return r with { Submission = path };
        }).ToList();
        var quality = Path.GetFullPath(Path.Combine(request.OutDir, GepiiiStages.QualityFile));
        PublishQuality(Path.Combine(featuresFolder, GepiiiStages.QualityFile), quality, results);
        return new WorkspaceRunResult(run, plan, summary, featuresFolder, quality, published, clock.Elapsed.TotalSeconds) { StageSeconds = stageSeconds };
    }

    /// <summary>Reuses a cached stage or runs it in a work folder and commits it; a failure leaves nothing in the cache.</summary>
    internal static string Execute<T>(StageCache cache, PlannedStage stage, int run, IRunObserver observer, Func<string, T> body) =>
        Execute(cache, stage, run, observer, null, body);

    /// <summary>As above, and adds the stage's wall seconds to <paramref name="seconds"/> under its id.</summary>
    private static string Execute<T>(StageCache cache, PlannedStage stage, int run, IRunObserver observer, ConcurrentDictionary<string, double>? seconds, Func<string, T> body)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return ExecuteStage(cache, stage, run, observer, body);
        }
        finally
        {
            seconds?.TryAdd(stage.Id, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static string ExecuteStage<T>(StageCache cache, PlannedStage stage, int run, IRunObserver observer, Func<string, T> body)
    {
        observer.Info($"{stage.Id}: {stage.Reason}");
        if (!stage.Run)
        {
            cache.RememberInputs(stage);
            cache.MarkUsed(stage.Key, run);
            return cache.EntryFolder(stage.Key);
        }

        var work = cache.NewWorkFolder(stage.Id);
        try
        {
            body(work);
            return cache.Commit(stage, work, run);
        }
        finally
        {
            // Stages share the process: give back what this one allocated before the next allocates natively (LightGBM's
            // bins are invisible to the GC, which would otherwise let the dead tables of a finished stage stay resident).
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static void CopyAtomic(string from, string to) => AtomicFile.Copy(from, to);

    /// <summary>
    /// The data's quality report as the features stage wrote it, plus, per experiment, the series where a naive
    /// profile beats its model on the CV rows (<c>baselines</c>): the features stage cannot know a model's result, but
    /// whoever reads the published report wants both in one place.
    /// </summary>
    private static void PublishQuality(string featuresQuality, string published, IReadOnlyList<ExperimentResult> results)
    {
        var compared = results.Where(r => r.Metrics.Baselines is not null).ToList();
        if (compared.Count == 0)
        {
            CopyAtomic(featuresQuality, published);
            return;
        }

        var report = JsonNode.Parse(File.ReadAllText(featuresQuality))!.AsObject();
        var baselines = new JsonObject();
        foreach (var r in compared)
        {
            baselines[r.Name] = JsonSerializer.SerializeToNode(r.Metrics.Baselines, EsteiraJson.Indented);
        }

        report["baselines"] = baselines;
        AtomicFile.WriteAllText(published, report.ToJsonString(EsteiraJson.Indented));
    }

    private static string ComputeToolVersion()
    {
        var assembly = typeof(WorkspaceRunner).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        // The build's own identity, so that a changed Esteira never reuses outputs of an older one.
        var mvid = string.Join("+", new[] { typeof(WorkspaceRunner), typeof(FeatureBuilder), typeof(Ml.GbmModel) }.Select(t => t.Assembly.ManifestModule.ModuleVersionId.ToString("N")[..8]));
        return $"{version}+{mvid}";
    }

    /// <summary>Lets parallel experiments share one observer: messages only, no progress bars.</summary>
    private sealed class SerializedObserver(IRunObserver inner) : IRunObserver
    {
        private readonly Lock _gate = new();

        public void StageStarted(string stage, long? total, string unit)
        {
        }

        public void Progress(long done)
        {
        }

        public void StageFinished(string stage, double seconds, string summary)
        {
            lock (_gate)
            {
                inner.Info($"{stage} finished in {seconds:F1} s {summary}");
            }
        }

        public void Warn(string message)
        {
            lock (_gate)
            {
                inner.Warn(message);
            }
        }

        public void Info(string message)
        {
            lock (_gate)
            {
                inner.Info(message);
            }
        }
    }
}
