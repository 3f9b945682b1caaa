using System.Data.Common;
using System.Text;
using Dapper;

namespace Esteira.Tracking;

/// <summary>The submission ledger port over a SQL database.</summary>
/// <remarks>With a daily limit, counting and adding run under a lock named after the target, so two processes cannot both take the last slot.</remarks>
internal sealed class SqlSubmissionLedger(TrackingDatabase db) : ISubmissionLedger
{
    private readonly TrackingDatabase _db = db;

    /// <inheritdoc />
    public Task<long> AddSubmissionAsync(NewSubmission submission, int? dailyLimit = null, CancellationToken cancellationToken = default)
    {
        var row = Checked(submission);
        if (dailyLimit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dailyLimit), dailyLimit, "the daily limit cannot be negative");
        }

        return _db.WriteAsync(async (c, tx) =>
        {
            var now = _db.Time.GetUtcNow();
            if (dailyLimit is { } limit)
            {
                await _db.Database.LockAsync(c, tx, $"submissions:{row.Target}", cancellationToken);
                var dayStart = TrackingStoreExtensions.StartOfUtcDay(now);
                var count = await CountAsync(c, tx, row.Target, dayStart, cancellationToken);
                if (count >= limit)
                {
                    throw new EsteiraException(ErrorCode.LimitExceeded,
                        $"target '{row.Target}' already has {count} of {limit} submissions today (UTC); the count resets at 00:00 UTC ({dayStart.AddDays(1):yyyy-MM-dd HH:mm}Z)");
                }
            }

            return await InsertAsync(c, tx, row, now.ToUnixTimeMilliseconds(), cancellationToken);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> ImportSubmissionsAsync(IReadOnlyList<ImportedSubmission> submissions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        // Every entry is checked before the transaction opens: a bad one leaves the ledger as it was.
        var rows = submissions.Select(s => (Row: Checked(s.Submission), At: s.SubmittedAt.ToUnixTimeMilliseconds())).ToList();
        if (rows.Count == 0)
        {
            return Task.FromResult(0);
        }

        return _db.WriteAsync(async (c, tx) =>
        {
            // Two processes importing the same entries at once must not both find them missing.
            await _db.Database.LockAsync(c, tx, "submissions:import", cancellationToken);
            var added = 0;
            foreach (var (row, at) in rows)
            {
                var known = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM submissions WHERE target = @Target AND file_sha256 = @Sha AND submitted_at = @at",
                    new { row.Target, row.Sha, at }, tx, cancellationToken: cancellationToken));
                if (known == 0)
                {
                    await InsertAsync(c, tx, row, at, cancellationToken);
                    added++;
                }
            }

            return added;
        }, cancellationToken);
    }

    private static async Task<long> InsertAsync(DbConnection c, DbTransaction tx, CheckedSubmission row, long at, CancellationToken cancellationToken)
    {
        if (row.Submission.RunId is { } runId)
        {
            await TrackingDatabase.StatusAsync(c, tx, runId, cancellationToken);
        }

        var submission = row.Submission;
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO submissions (run_id, file_sha256, target, status, cv_score, public_score, private_score, external_id, message, submitted_at, updated_at)
            VALUES (@RunId, @sha, @target, @status, @cv, @public, @private, @externalId, @message, @now, @now) RETURNING id
            """, new
        {
            submission.RunId, sha = row.Sha, target = row.Target, status = Format(submission.Status), cv = TrackingDatabase.Stored(submission.CvScore),
            @public = TrackingDatabase.Stored(submission.PublicScore), @private = TrackingDatabase.Stored(submission.PrivateScore),
            externalId = row.ExternalId, message = row.Message, now = at,
        }, tx, cancellationToken: cancellationToken));
    }

    /// <summary>A submission's names and values as they will be stored (passwords masked), or the first reason it cannot be.</summary>
    private static CheckedSubmission Checked(NewSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var target = Names.Check(submission.Target, "submission target");
        var sha = CheckSha256(submission.FileSha256);
        if (submission.RunId is { } r)
        {
            Names.CheckRunId(r);
        }

        var message = submission.Message is null ? null : Names.CheckValue(submission.Message, "submission message");
        var externalId = submission.ExternalId is null ? null : Names.CheckValue(submission.ExternalId, "submission external id");
        return new CheckedSubmission(submission, target, sha, message, externalId);
    }

    private sealed record CheckedSubmission(NewSubmission Submission, string Target, string Sha, string? Message, string? ExternalId);

    /// <inheritdoc />
    public Task UpdateSubmissionAsync(long submissionId, SubmissionUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var message = update.Message is null ? null : Names.CheckValue(update.Message, "submission message");
        var externalId = update.ExternalId is null ? null : Names.CheckValue(update.ExternalId, "submission external id");
        return _db.WriteAsync(async (c, tx) =>
        {
            var parameters = new DynamicParameters(new { now = _db.NowMs, submissionId });
            var set = new List<string> { "updated_at = @now" };
            if (update.Status is { } status)
            {
                set.Add("status = @status");
                parameters.Add("status", Format(status));
            }

            if (update.PublicScore is { } publicScore)
            {
                set.Add("public_score = @public");
                parameters.Add("public", TrackingDatabase.Stored(publicScore));
            }

            if (update.PrivateScore is { } privateScore)
            {
                set.Add("private_score = @private");
                parameters.Add("private", TrackingDatabase.Stored(privateScore));
            }

            if (externalId is not null)
            {
                set.Add("external_id = @externalId");
                parameters.Add("externalId", externalId);
            }

            if (message is not null)
            {
                set.Add("message = @message");
                parameters.Add("message", message);
            }

            var changed = await c.ExecuteAsync(new CommandDefinition(
                $"UPDATE submissions SET {string.Join(", ", set)} WHERE id = @submissionId", parameters, tx, cancellationToken: cancellationToken));
            return changed == 1
                ? true
                : throw new EsteiraException(ErrorCode.NotFound, $"submission {submissionId} is not in the ledger of {_db.Location}");
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Submission>> ListSubmissionsAsync(SubmissionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _db.UseAsync<IReadOnlyList<Submission>>(async c =>
        {
            var sql = new StringBuilder("""
                SELECT id AS Id, run_id AS RunId, file_sha256 AS FileSha256, target AS Target, status AS Status, cv_score AS CvScore,
                       public_score AS PublicScore, private_score AS PrivateScore, external_id AS ExternalId, message AS Message,
                       submitted_at AS SubmittedAt, updated_at AS UpdatedAt
                FROM submissions WHERE 1 = 1
                """);
            if (query.Target is not null)
            {
                sql.Append(" AND target = @Target");
            }

            if (query.RunId is not null)
            {
                sql.Append(" AND run_id = @RunId");
            }

            sql.Append(" ORDER BY id DESC LIMIT @limit");
            var rows = await c.QueryAsync<SubmissionRow>(new CommandDefinition(
                sql.ToString(), new { query.Target, query.RunId, limit = Math.Max(1, query.Limit) }, cancellationToken: cancellationToken));
            return rows.Select(r => new Submission
            {
                Id = r.Id, RunId = r.RunId, FileSha256 = r.FileSha256, Target = r.Target, Status = ParseSubmissionStatus(r.Status), CvScore = r.CvScore,
                PublicScore = r.PublicScore, PrivateScore = r.PrivateScore, ExternalId = r.ExternalId, Message = r.Message,
                SubmittedAt = TrackingDatabase.FromUnixMs(r.SubmittedAt), UpdatedAt = TrackingDatabase.FromUnixMs(r.UpdatedAt),
            }).ToList();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> CountSubmissionsSinceAsync(string target, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        Names.Check(target, "submission target");
        return _db.UseAsync(c => CountAsync(c, null, target, since, cancellationToken), cancellationToken);
    }

    private static Task<int> CountAsync(DbConnection c, DbTransaction? tx, string target, DateTimeOffset since, CancellationToken cancellationToken) =>
        c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM submissions WHERE target = @target AND submitted_at >= @since",
            new { target, since = since.ToUnixTimeMilliseconds() }, tx, cancellationToken: cancellationToken));

    private static string CheckSha256(string? sha)
    {
        var s = sha?.Trim().ToLowerInvariant() ?? "";
        return s.Length == 64 && s.All(char.IsAsciiHexDigit)
            ? s
            : throw new EsteiraException(ErrorCode.BadInput, $"file hash '{sha}' is not a SHA-256; give 64 hex digits");
    }

    private static string Format(SubmissionStatus status) => status switch
    {
        SubmissionStatus.Pending => "pending",
        SubmissionStatus.Complete => "complete",
        SubmissionStatus.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private static SubmissionStatus ParseSubmissionStatus(string status) => status switch
    {
        "pending" => SubmissionStatus.Pending,
        "complete" => SubmissionStatus.Complete,
        "error" => SubmissionStatus.Error,
        _ => throw new EsteiraException(ErrorCode.ExternalService, $"unknown submission status '{status}' in the tracking database; was it written by a newer esteira? Upgrade the tool"),
    };

    /// <summary>A submissions row as stored (times in Unix ms).</summary>
    private sealed class SubmissionRow
    {
        public long Id { get; init; }
        public long? RunId { get; init; }
        public string FileSha256 { get; init; } = "";
        public string Target { get; init; } = "";
        public string Status { get; init; } = "";
        public double? CvScore { get; init; }
        public double? PublicScore { get; init; }
        public double? PrivateScore { get; init; }
        public string? ExternalId { get; init; }
        public string? Message { get; init; }
        public long SubmittedAt { get; init; }
        public long UpdatedAt { get; init; }
    }
}
