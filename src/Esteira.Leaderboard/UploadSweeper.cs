using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Esteira.Leaderboard;

/// <summary>
/// Every few minutes (a quarter of <see cref="CompetitionDefinition.UploadExpiry"/>, between 1 s and 5 min), deletes the
/// upload slots older than the expiry that no submission uses, and the files only they held.
/// </summary>
public sealed class UploadSweeper(CompetitionDefinition competition, ILeaderboardStore store, BlobStore blobs, TimeProvider time, ILoggerFactory loggers)
    : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger(LeaderboardServer.LogCategory);

    /// <summary>Sweeps once now; returns how many files were deleted.</summary>
    public async Task<int> SweepExpiredUploadsAsync(CancellationToken cancellationToken)
    {
        var orphans = await store.DeleteExpiredUploadsAsync(competition.Name, time.GetUtcNow().UtcDateTime - competition.UploadExpiry, cancellationToken);
        var deleted = 0;
        foreach (var sha in orphans)
        {
            if (blobs.Delete(sha))
            {
                deleted++;
            }
        }

        if (deleted > 0 && _logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("deleted {Count} uploaded files never submitted within {Minutes:0} min", deleted, competition.UploadExpiry.TotalMinutes);
        }

        return deleted;
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(competition.UploadExpiry.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute * 5));
        try
        {
            while (true)
            {
                await Task.Delay(period, stoppingToken);
                try
                {
                    await SweepExpiredUploadsAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "deleting expired uploads failed; trying again in {Period}", period);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
