using System.Collections.Concurrent;
using System.Globalization;
using Esteira.Deploy.Kaggle;
using Microsoft.Extensions.Logging;

namespace Esteira.Leaderboard;

/// <summary>
/// A team's side of the competition: upload slots (with the per-team quota and expiry), submissions under the daily limit,
/// handed to <see cref="ScoringService"/> to be scored in the background, and what each team may see of them (only its
/// own; private scores only after the reveal).
/// </summary>
public sealed class SubmissionService(CompetitionDefinition competition, ILeaderboardStore store, BlobStore blobs, ScoringService scoring, TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger(LeaderboardServer.LogCategory);
    private readonly ConcurrentDictionary<string, byte> _receiving = new(StringComparer.Ordinal);

    /// <summary>StartSubmissionUpload: a slot (token and URL to PUT the file to) within the team's upload quota.</summary>
    public async Task<StartSubmissionUploadResponse> StartUploadAsync(TeamRecord team, RpcRequest request, Uri baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        competition.RequireOpen(time);
        var fileName = SafeFileName(request.FileName);
        if (request.ContentLength <= 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, "contentLength must be the file's size in bytes (> 0)");
        }

        if (request.ContentLength > competition.MaxUploadBytes)
        {
            throw BlobStore.TooLarge(competition.MaxUploadBytes);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var open = await store.OpenUploadBytesAsync(competition.Name, team.Name, now - competition.UploadExpiry, cancellationToken);
        var quota = competition.EffectiveUploadQuotaBytes;
        if (open + request.ContentLength > quota)
        {
            var error = new EsteiraException(ErrorCode.LimitExceeded,
                $"upload quota reached: team '{team.Name}' holds {Size(open)} in uploads not yet submitted and this file adds {Size(request.ContentLength)}, over the quota of {Size(quota)}; " +
                $"submit those uploads with CreateSubmission, or wait: an upload not submitted within {competition.UploadExpiry.TotalMinutes:0} min is deleted");
            error.Data[ApiErrors.RetryAfterKey] = (int)Math.Ceiling(competition.UploadExpiry.TotalSeconds);
            throw error;
        }

        var (token, tokenHash) = TeamSecrets.NewToken();
        await store.CreateUploadAsync(competition.Name,
            new UploadRecord(tokenHash, team.Name, fileName, request.ContentLength, time.GetUtcNow().UtcDateTime, null, null), cancellationToken);
        return new StartSubmissionUploadResponse { Token = token, CreateUrl = new Uri(baseUrl, $"upload/{token}").AbsoluteUri };
    }

    /// <summary>Receives the bytes PUT to an upload URL. The token in the URL is the only credential, as with a signed storage URL.</summary>
    public async Task ReceiveUploadAsync(string token, Stream body, CancellationToken cancellationToken)
    {
        var upload = await store.FindUploadAsync(competition.Name, TeamSecrets.TokenHash(token), cancellationToken);
        if (upload is null || IsExpired(upload))
        {
            throw new EsteiraException(ErrorCode.NotFound,
                $"unknown or expired upload URL (an upload not submitted within {competition.UploadExpiry.TotalMinutes:0} min is deleted); call StartSubmissionUpload again");
        }

        // Exactly one PUT per URL may be in flight; the others are told so at once instead of racing to record their file.
        if (!_receiving.TryAdd(upload.TokenHash, 0))
        {
            throw new EsteiraException(ErrorCode.Conflict, "another upload to this URL is in progress; only one may win, call StartSubmissionUpload again for a new one");
        }

        try
        {
            var (sha, size) = await blobs.ReceiveAsync(body, competition.MaxUploadBytes, upload.DeclaredLength, cancellationToken);

            // The store decides atomically (several servers may share it): the first file wins; the same bytes again are a harmless retry.
            if (!await store.CompleteUploadAsync(competition.Name, upload.TokenHash, sha, size, cancellationToken))
            {
                throw new EsteiraException(ErrorCode.Conflict, "this upload URL already holds a different file; call StartSubmissionUpload again for a new one");
            }
        }
        finally
        {
            _receiving.TryRemove(upload.TokenHash, out _);
        }
    }

    /// <summary>CreateSubmission: records the uploaded file as a PENDING submission (under the daily limit) and queues it for scoring.</summary>
    public async Task<CreateSubmissionResponse> CreateSubmissionAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        competition.RequireOpen(time);
        var token = request.BlobFileTokens?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            throw new EsteiraException(ErrorCode.BadInput, "blobFileTokens is missing; pass the token StartSubmissionUpload returned");
        }

        var upload = await store.FindUploadAsync(competition.Name, TeamSecrets.TokenHash(token), cancellationToken);
        if (upload is null || upload.Team != team.Name)
        {
            throw new EsteiraException(ErrorCode.NotFound, "blobFileTokens is not an upload of this team; call StartSubmissionUpload first");
        }

        if (IsExpired(upload))
        {
            throw new EsteiraException(ErrorCode.NotFound,
                $"this upload expired: an upload not submitted within {competition.UploadExpiry.TotalMinutes:0} min is deleted; upload the file again");
        }

        if (upload.ContentSha256 is null || upload.Size is null)
        {
            throw new EsteiraException(ErrorCode.BadInput, "the file was never uploaded; PUT its bytes to the createUrl before CreateSubmission");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var (record, created) = await store.CreateSubmissionAsync(competition.Name,
            new NewSubmission(team.Name, upload.TokenHash, upload.FileName, upload.ContentSha256, upload.Size.Value, request.SubmissionDescription ?? "", now),
            competition.DailyLimit, now.Date, cancellationToken);
        if (created)
        {
            scoring.Enqueue(record.Team, record.Ref);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("submission {Ref} from team {Team}: {File} ({Bytes} bytes)", record.Ref, team.Name, record.FileName, record.TotalBytes);
            }
        }

        return new CreateSubmissionResponse { Message = $"Successfully submitted to {competition.Title}", Ref = record.Ref };
    }

    /// <summary>GetSubmission: one of the team's own submissions.</summary>
    public async Task<ApiSubmission> GetSubmissionAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(request);
        var record = await store.GetSubmissionAsync(competition.Name, request.Ref, cancellationToken);

        // Another team's submission answers exactly like a missing one, so refs reveal nothing.
        return record is null || record.Team != team.Name
            ? throw new EsteiraException(ErrorCode.NotFound, $"submission {request.Ref} not found among team '{team.Name}''s submissions")
            : WireFormat.Submission(record, competition.IsRevealed(time.GetUtcNow()));
    }

    /// <summary>ListSubmissions: one page of the team's own submissions.</summary>
    public async Task<ListSubmissionsResponse> ListSubmissionsAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        var revealed = competition.IsRevealed(time.GetUtcNow());
        var mine = (await store.ListSubmissionsAsync(competition.Name, team.Name, cancellationToken)).Select(r => WireFormat.Submission(r, revealed)).ToList();
        var (page, next) = RpcRules.Page(mine, request, RpcRules.DefaultPageSize);
        return new ListSubmissionsResponse { Submissions = page, NextPageToken = next };
    }

    /// <summary>GetSubmissionLimits: the daily limit, what the team used of it today (UTC) and when it resets.</summary>
    public async Task<SubmissionLimitsResponse> GetLimitsAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        var now = time.GetUtcNow().UtcDateTime;
        var used = await store.CountSinceAsync(competition.Name, team.Name, now.Date, cancellationToken);
        var limit = competition.DailyLimit;
        return new SubmissionLimitsResponse
        {
            DailyLimit = limit,
            TodayCount = used,
            RemainingToday = limit == 0 ? int.MaxValue : Math.Max(0, limit - used),
            ResetTime = now.Date.AddDays(1),
        };
    }

    internal static string SafeFileName(string? name)
    {
        var value = name?.Trim() ?? "";
        if (value.Length is 0 or > 255 || value is "." or ".." || value.Contains('/', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal)
            || value.Contains("..", StringComparison.Ordinal) || value.Any(char.IsControl) || value.Contains(':', StringComparison.Ordinal))
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"fileName '{new string(value.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray())}' must be a plain file name (no folders, no '..', no ':'), e.g. submission.csv.gz");
        }

        return value;
    }

    private bool IsExpired(UploadRecord upload) => time.GetUtcNow().UtcDateTime - upload.CreatedUtc > competition.UploadExpiry;

    private static string Size(long bytes) => bytes >= 1 << 20
        ? (bytes / (double)(1 << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB"
        : (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KiB";
}
