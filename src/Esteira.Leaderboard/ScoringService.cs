using Esteira.Deploy.Kaggle;
using Esteira.Deploy.Submissions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Esteira.Leaderboard;

/// <summary>
/// Scores submissions in the background: <see cref="CompetitionDefinition.ScoringWorkers"/> workers served round robin per
/// team (<see cref="FairQueue"/>). Starting queues every submission a previous run left PENDING; stopping (or the host
/// stopping: SIGTERM, Ctrl+C) cuts scoring off at once, and what was being scored stays PENDING for the next start.
/// </summary>
public sealed class ScoringService : BackgroundService
{
    /// <summary>How long a stop waits for a worker that does not notice the cancellation (its submission stays PENDING).</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    private readonly CompetitionDefinition _competition;
    private readonly ReferenceRows _solution;
    private readonly ILeaderboardStore _store;
    private readonly BlobStore _blobs;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _logger;
    private readonly FairQueue _queue = new();

    /// <summary>Creates the service; nothing is scored until it starts.</summary>
    public ScoringService(CompetitionDefinition competition, ReferenceRows solution, ILeaderboardStore store, BlobStore blobs, TimeProvider time,
        IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        _competition = competition;
        _solution = solution;
        _store = store;
        _blobs = blobs;
        _time = time;
        _lifetime = lifetime;
        _logger = loggers.CreateLogger(LeaderboardServer.LogCategory);
    }

    /// <summary>Test seam: runs before a submission is scored, with the scoring's cancellation token.</summary>
    internal Func<SubmissionRecord, CancellationToken, Task>? BeforeScoring { get; set; }

    /// <summary>Test seam: called with each ref once its scoring finished (COMPLETE or ERROR).</summary>
    internal Action<long>? Scored { get; set; }

    /// <summary>Queues a new submission; a ref already queued is ignored. Queued work waits while the service is stopped.</summary>
    internal void Enqueue(string team, long submissionRef) => _queue.Enqueue(team, submissionRef);

    /// <summary>Queues every submission a previous run left PENDING, then starts the workers.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var pending in await _store.ListPendingAsync(_competition.Name, cancellationToken))
        {
            if (await _store.GetSubmissionAsync(_competition.Name, pending, cancellationToken) is { } record)
            {
                _queue.Enqueue(record.Team, pending);
            }
        }

        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host stops its services only after Kestrel has finished the open requests; scoring stops when stopping begins.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _lifetime.ApplicationStopping);

        // Dedicated threads: scoring a large file is seconds of CPU that should not sit on a thread-pool thread.
        var workers = Task.WhenAll(Enumerable.Range(0, _competition.ScoringWorkers).Select(_ =>
            Task.Factory.StartNew(() => ScoreLoopAsync(stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()));
        try
        {
            await workers.WaitAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            try
            {
                // Scoring watches the token every few thousand lines, so this is quick; a stuck worker is left behind rather than
                // holding up the stop (its submission stays PENDING).
                await workers.WaitAsync(StopGrace, CancellationToken.None);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("a scoring worker did not stop within 3 s; its submission stays PENDING for the next start");
            }
        }
    }

    /// <summary>Scores one submission now (the workers do this; tests may call it to avoid waiting).</summary>
    public async Task ScoreAsync(long submissionRef, CancellationToken cancellationToken)
    {
        var record = await _store.GetSubmissionAsync(_competition.Name, submissionRef, cancellationToken);
        if (record is null || record.Status != SubmissionState.Pending)
        {
            return;
        }

        var started = _time.GetTimestamp();
        var path = _blobs.PathOf(record.ContentSha256);
        if (!File.Exists(path))
        {
            await _store.FailSubmissionAsync(_competition.Name, record.Ref, "the uploaded file is missing on the server; submit it again", counts: false, cancellationToken);
            return;
        }

        if (BeforeScoring is { } hook)
        {
            await hook(record, cancellationToken);
        }

        var check = SubmissionScorer.Check(path, _solution, ScoringLimits.For(_solution.Count, _competition.ScoringTimeout), cancellationToken);
        if (check.Error is { } error)
        {
            await _store.FailSubmissionAsync(_competition.Name, record.Ref, error.ToString(), _competition.CountFormatErrors, cancellationToken);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("submission {Ref} of team {Team}: ERROR {Error}", record.Ref, record.Team, error);
            }

            return;
        }

        await _store.CompleteSubmissionAsync(_competition.Name, record.Ref, check.PublicScore, check.PrivateScore, cancellationToken);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("submission {Ref} of team {Team}: {Rows} rows scored in {Seconds:0.00} s", record.Ref, record.Team, check.Rows,
                _time.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        base.Dispose();
        _queue.Dispose();
    }

    private async Task ScoreLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var (team, submissionRef) = await _queue.DequeueAsync(cancellationToken);
                try
                {
                    await ScoreAsync(submissionRef, cancellationToken);
                    Scored?.Invoke(submissionRef);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "scoring submission {Ref} failed", submissionRef);
                    await _store.FailSubmissionAsync(_competition.Name, submissionRef,
                        $"the server could not score this file ({e.GetType().Name}); it does not count, submit it again", counts: false, CancellationToken.None);
                    Scored?.Invoke(submissionRef);
                }
                finally
                {
                    _queue.Done(team);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: submissions still queued, or cut off while being scored, stay PENDING and are scored at the next start.
        }
    }
}
