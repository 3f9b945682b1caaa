using System.Data.Common;
using System.Text;

namespace Esteira.Tracking;

/// <summary>The submission ledger port over a SQL database.</summary>
/// <remarks>With a daily limit, counting and adding run under a lock named after the target, so two processes cannot both take the last slot.</remarks>
internal sealed class SqlSubmissionLedger(TrackingDatabase db) : ISubmissionLedger
{
    private readonly TrackingDatabase _db = db;

    /// <inheritdoc />
    public Task<long> AddSubmissionAsync(NewSubmission submission, int? dailyLimit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var target = Names.Check(submission.Target, "submission target");
        var sha = CheckSha256(submission.FileSha256);
        if (submission.RunId is { } r)
        {
            Names.CheckRunId(r);
        }

        if (dailyLimit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dailyLimit), dailyLimit, "the daily limit cannot be negative");
        }

        var message = submission.Message is null ? null : Names.CheckValue(submission.Message, "submission message");
        var externalId = submission.ExternalId is null ? null : Names.CheckValue(submission.ExternalId, "submission external id");
        return _db.WriteAsync(async (c, tx) =>
        {
            var now = _db.Time.GetUtcNow();
            if (dailyLimit is { } limit)
            {
                await _db.Database.LockAsync(c, tx, $"submissions:{target}", cancellationToken);
                var dayStart = TrackingStoreExtensions.StartOfUtcDay(now);
                var count = await CountAsync(c, tx, target, dayStart, cancellationToken);
                if (count >= limit)
                {
                    throw new EsteiraException(ErrorCode.LimitExceeded,
                        $"target '{target}' already has {count} of {limit} submissions today (UTC); the count resets at 00:00 UTC ({dayStart.AddDays(1):yyyy-MM-dd HH:mm}Z)");
                }
            }

            if (submission.RunId is { } runId)
            {
                await TrackingDatabase.StatusAsync(c, tx, runId, cancellationToken);
            }

            var ms = now.ToUnixTimeMilliseconds();
            await using var insert = Db.Command(c, tx, """
                INSERT INTO submissions (run_id, file_sha256, target, status, cv_score, public_score, private_score, external_id, message, submitted_at, updated_at)
                VALUES (@run, @sha, @target, @status, @cv, @public, @private, @external, @message, @now, @now) RETURNING id
                """).With("@run", submission.RunId).With("@sha", sha).With("@target", target).With("@status", Format(submission.Status))
                .With("@cv", submission.CvScore).With("@public", submission.PublicScore).With("@private", submission.PrivateScore)
                .With("@external", externalId).With("@message", message).With("@now", ms);
            return Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task UpdateSubmissionAsync(long submissionId, SubmissionUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var message = update.Message is null ? null : Names.CheckValue(update.Message, "submission message");
        var externalId = update.ExternalId is null ? null : Names.CheckValue(update.ExternalId, "submission external id");
        return _db.WriteAsync(async (c, tx) =>
        {
            await using var command = Db.Command(c, tx, "");
            var set = new List<string> { "updated_at = @now" };
            command.With("@now", _db.NowMs).With("@id", submissionId);
            if (update.Status is { } status)
            {
                set.Add("status = @status");
                command.With("@status", Format(status));
            }

            if (update.PublicScore is { } publicScore)
            {
                set.Add("public_score = @public");
                command.With("@public", publicScore);
            }

            if (update.PrivateScore is { } privateScore)
            {
                set.Add("private_score = @private");
                command.With("@private", privateScore);
            }

            if (externalId is not null)
            {
                set.Add("external_id = @external");
                command.With("@external", externalId);
            }

            if (message is not null)
            {
                set.Add("message = @message");
                command.With("@message", message);
            }

            command.CommandText = $"UPDATE submissions SET {string.Join(", ", set)} WHERE id = @id";
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1
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
            await using var select = Db.Command(c, null, "");
            var sql = new StringBuilder("""
                SELECT id, run_id, file_sha256, target, status, cv_score, public_score, private_score, external_id, message, submitted_at, updated_at
                FROM submissions WHERE 1 = 1
                """);
            if (query.Target is not null)
            {
                sql.Append(" AND target = @target");
                select.With("@target", query.Target);
            }

            if (query.RunId is { } runId)
            {
                sql.Append(" AND run_id = @run");
                select.With("@run", runId);
            }

            sql.Append(" ORDER BY id DESC LIMIT @limit");
            select.With("@limit", Math.Max(1, query.Limit));
            select.CommandText = sql.ToString();
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var list = new List<Submission>();
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(new Submission
                {
                    Id = reader.GetInt64(0), RunId = reader.NullableInt64(1), FileSha256 = reader.GetString(2), Target = reader.GetString(3),
                    Status = ParseSubmissionStatus(reader.GetString(4)), CvScore = reader.NullableDouble(5), PublicScore = reader.NullableDouble(6),
                    PrivateScore = reader.NullableDouble(7), ExternalId = reader.NullableString(8), Message = reader.NullableString(9),
                    SubmittedAt = Db.Time(reader.GetInt64(10)), UpdatedAt = Db.Time(reader.GetInt64(11)),
                });
            }

            return list;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> CountSubmissionsSinceAsync(string target, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        Names.Check(target, "submission target");
        return _db.UseAsync(c => CountAsync(c, null, target, since, cancellationToken), cancellationToken);
    }

    private static async Task<int> CountAsync(DbConnection c, DbTransaction? tx, string target, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var count = Db.Command(c, tx, "SELECT COUNT(*) FROM submissions WHERE target = @target AND submitted_at >= @since")
            .With("@target", target).With("@since", since.ToUnixTimeMilliseconds());
        return Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

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
        _ => throw new InvalidOperationException($"unknown submission status '{status}' in the database"),
    };
}
