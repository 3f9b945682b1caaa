using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace Esteira.Tracking;

/// <summary>The runs port over a SQL database: runs with their params, metrics, tags, stages and artifacts.</summary>
/// <remarks>Each write is one transaction; a reader sees a batch entirely or not at all.</remarks>
internal sealed class SqlRunStore(TrackingDatabase db) : IRunStore
{
    private const int RowsPerInsert = 400;

    private const string RunColumns =
        "r.id, r.experiment, r.status, r.started_at, r.ended_at, r.heartbeat_at, r.error, r.owner_host, r.owner_pid, r.owner_started_at, r.gate_passed";

    private readonly TrackingDatabase _db = db;

    /// <inheritdoc />
    public Task<long> StartRunAsync(NewRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var experiment = Names.Check(run.Experiment, "experiment");
        var parameters = Names.CheckMap(run.Params, "param");
        var tags = Names.CheckMap(run.Tags, "tag");
        var lineage = run.Lineage ?? new RunLineage();
        var owner = run.Owner ?? RunOwner.Current();
        var blend = lineage.BlendOf.Count == 0 ? null : JsonSerializer.Serialize(lineage.BlendOf, EsteiraJson.Options);
        return _db.WriteAsync(async (c, tx) =>
        {
            var now = _db.NowMs;
            var started = Math.Min(now, run.StartedAt?.ToUnixTimeMilliseconds() ?? now);
            long id;
            await using (var insert = Db.Command(c, tx, """
                INSERT INTO runs (uid, experiment, status, started_at, heartbeat_at, git_commit, git_dirty, dataset_hash, experiment_hash,
                                  esteira_version, machine, blend_parts, owner_host, owner_pid, owner_started_at)
                VALUES (@uid, @experiment, 'running', @started, @now, @git_commit, @git_dirty, @dataset_hash, @experiment_hash,
                        @esteira_version, @machine, @blend_parts, @owner_host, @owner_pid, @owner_started_at)
                RETURNING id
                """)
                .With("@uid", FormatUid(Guid.NewGuid())).With("@experiment", experiment).With("@started", started).With("@now", now)
                .With("@git_commit", Mask(lineage.GitCommit)).With("@git_dirty", lineage.GitDirty)
                .With("@dataset_hash", Mask(lineage.DatasetHash)).With("@experiment_hash", Mask(lineage.ExperimentHash))
                .With("@esteira_version", Mask(lineage.EsteiraVersion)).With("@machine", Mask(lineage.Machine))
                .With("@blend_parts", blend)
                .With("@owner_host", owner.Host).With("@owner_pid", owner.ProcessId)
                .With("@owner_started_at", owner.ProcessStartedAt?.ToUnixTimeMilliseconds()))
            {
                id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            }

            await UpsertMapAsync(c, tx, "run_params", "key", "value", id, parameters, cancellationToken);
            await UpsertMapAsync(c, tx, "run_tags", "key", "value", id, tags, cancellationToken);
            return id;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task LogAsync(long runId, RunLog log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        Names.CheckRunId(runId);
        var parameters = Names.CheckMap(log.Params, "param");
        var tags = Names.CheckMap(log.Tags, "tag");
        var artifacts = Names.CheckMap(log.Artifacts, "artifact");
        var metrics = CheckMetrics(log.Metrics);
        var stages = CheckStages(log.Stages);
        return _db.WriteAsync<bool>(async (c, tx) =>
        {
            var now = _db.NowMs;
            await using (var touch = Db.Command(c, tx, "UPDATE runs SET heartbeat_at = @now WHERE id = @id AND status = 'running'")
                .With("@now", now).With("@id", runId))
            {
                if (await touch.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    var status = await TrackingDatabase.StatusAsync(c, tx, runId, cancellationToken);
                    throw new EsteiraException(ErrorCode.Conflict,
                        $"run {runId} is {TrackingDatabase.Format(status)}; results can only be logged to a running run (start a new run instead)");
                }
            }

            await UpsertMapAsync(c, tx, "run_params", "key", "value", runId, parameters, cancellationToken);
            await UpsertMapAsync(c, tx, "run_tags", "key", "value", runId, tags, cancellationToken);
            await UpsertMapAsync(c, tx, "run_artifacts", "name", "uri", runId, artifacts, cancellationToken);
            await UpsertRowsAsync(c, tx, "run_metrics", ["run_id", "name", "fold", "step", "value", "logged_at"], 4, ["value", "logged_at"],
                metrics.Select(m => new object[] { runId, m.Name, m.Fold ?? -1, m.Step ?? -1L, m.Value, now }).ToList(), cancellationToken);
            if (stages.Count > 0)
            {
                int next;
                await using (var max = Db.Command(c, tx, "SELECT COALESCE(MAX(ordinal), -1) FROM run_stages WHERE run_id = @id").With("@id", runId))
                {
                    next = Convert.ToInt32(await max.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) + 1;
                }

                await UpsertRowsAsync(c, tx, "run_stages", ["run_id", "stage", "seconds", "ordinal"], 2, ["seconds"],
                    stages.Select((s, i) => new object[] { runId, s.Stage, s.Seconds, next + i }).ToList(), cancellationToken);
            }

            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task SetTagsAsync(long runId, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        Names.CheckRunId(runId);
        var checkedTags = Names.CheckMap(tags, "tag");
        return _db.WriteAsync(async (c, tx) =>
        {
            await TrackingDatabase.StatusAsync(c, tx, runId, cancellationToken);
            await UpsertMapAsync(c, tx, "run_tags", "key", "value", runId, checkedTags, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task RecordGateVerdictAsync(long runId, GateVerdict verdict, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        Names.CheckRunId(runId);
        var json = JsonSerializer.Serialize(verdict, EsteiraJson.Options);
        return _db.WriteAsync(async (c, tx) =>
        {
            await using var update = Db.Command(c, tx, "UPDATE runs SET gate_passed = @passed, gate_verdict = @verdict WHERE id = @id")
                .With("@passed", verdict.Passed).With("@verdict", json).With("@id", runId);
            return await update.ExecuteNonQueryAsync(cancellationToken) == 1 ? true : throw TrackingDatabase.RunNotFound(runId);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> FinishRunAsync(long runId, RunStatus status, string? errorMessage = null, CancellationToken cancellationToken = default)
    {
        Names.CheckRunId(runId);
        if (status == RunStatus.Running)
        {
            throw new ArgumentException("a run can only be finished as Finished or Failed", nameof(status));
        }

        var message = errorMessage is null ? null : Secrets.MaskPasswords(errorMessage.Length > Names.MaxValueLength ? errorMessage[..Names.MaxValueLength] : errorMessage);
        return _db.WriteAsync(async (c, tx) =>
        {
            var now = _db.NowMs;
            await using var update = Db.Command(c, tx, """
                UPDATE runs SET status = @status, ended_at = @now, heartbeat_at = @now, error = @error
                WHERE id = @id AND status = 'running'
                """).With("@status", TrackingDatabase.Format(status)).With("@now", now).With("@error", message).With("@id", runId);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return true;
            }

            await TrackingDatabase.StatusAsync(c, tx, runId, cancellationToken);
            return false;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ImportedRun> ImportRunAsync(Run run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Uid == Guid.Empty)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"run {run.Id} has no uid; only a run read back from a tracking store can be imported");
        }

        var experiment = Names.Check(run.Experiment, "experiment");
        var parameters = Names.CheckMap(run.Params, "param");
        var tags = Names.CheckMap(run.Tags, "tag");
        var artifacts = Names.CheckMap(run.Artifacts, "artifact");
        var metrics = CheckMetrics(run.Metrics);
        var stages = CheckStages(run.Stages);
        var lineage = run.Lineage ?? new RunLineage();
        var owner = run.Owner ?? throw new EsteiraException(ErrorCode.BadInput, $"run {run.Id} has no owner; only a run read back from a tracking store can be imported");
        var blend = lineage.BlendOf.Count == 0 ? null : JsonSerializer.Serialize(lineage.BlendOf, EsteiraJson.Options);
        var verdict = run.Gate is null ? null : JsonSerializer.Serialize(run.Gate, EsteiraJson.Options);
        var error = run.Error is null ? null : Secrets.MaskPasswords(run.Error.Length > Names.MaxValueLength ? run.Error[..Names.MaxValueLength] : run.Error);
        var uid = FormatUid(run.Uid);
        var loggedAt = (run.EndedAt ?? run.HeartbeatAt).ToUnixTimeMilliseconds();
        return _db.WriteAsync(async (c, tx) =>
        {
            long id;
            await using (var insert = Db.Command(c, tx, """
                INSERT INTO runs (uid, experiment, status, started_at, ended_at, heartbeat_at, error, git_commit, git_dirty, dataset_hash,
                                  experiment_hash, esteira_version, machine, blend_parts, owner_host, owner_pid, owner_started_at,
                                  gate_passed, gate_verdict)
                VALUES (@uid, @experiment, @status, @started_at, @ended_at, @heartbeat_at, @error, @git_commit, @git_dirty, @dataset_hash,
                        @experiment_hash, @esteira_version, @machine, @blend_parts, @owner_host, @owner_pid, @owner_started_at,
                        @gate_passed, @gate_verdict)
                ON CONFLICT (uid) DO NOTHING
                RETURNING id
                """)
                .With("@uid", uid).With("@experiment", experiment).With("@status", TrackingDatabase.Format(run.Status))
                .With("@started_at", run.StartedAt.ToUnixTimeMilliseconds()).With("@ended_at", run.EndedAt?.ToUnixTimeMilliseconds())
                .With("@heartbeat_at", run.HeartbeatAt.ToUnixTimeMilliseconds()).With("@error", error)
                .With("@git_commit", Mask(lineage.GitCommit)).With("@git_dirty", lineage.GitDirty)
                .With("@dataset_hash", Mask(lineage.DatasetHash)).With("@experiment_hash", Mask(lineage.ExperimentHash))
                .With("@esteira_version", Mask(lineage.EsteiraVersion)).With("@machine", Mask(lineage.Machine))
                .With("@blend_parts", blend)
                .With("@owner_host", owner.Host).With("@owner_pid", owner.ProcessId)
                .With("@owner_started_at", owner.ProcessStartedAt?.ToUnixTimeMilliseconds())
                .With("@gate_passed", run.Gate?.Passed).With("@gate_verdict", verdict))
            {
                if (await insert.ExecuteScalarAsync(cancellationToken) is not { } inserted || inserted is DBNull)
                {
                    await using var existing = Db.Command(c, tx, "SELECT id FROM runs WHERE uid = @uid").With("@uid", uid);
                    return new ImportedRun(Convert.ToInt64(await existing.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture), false);
                }

                id = Convert.ToInt64(inserted, System.Globalization.CultureInfo.InvariantCulture);
            }

            await UpsertMapAsync(c, tx, "run_params", "key", "value", id, parameters, cancellationToken);
            await UpsertMapAsync(c, tx, "run_tags", "key", "value", id, tags, cancellationToken);
            await UpsertMapAsync(c, tx, "run_artifacts", "name", "uri", id, artifacts, cancellationToken);
            await UpsertRowsAsync(c, tx, "run_metrics", ["run_id", "name", "fold", "step", "value", "logged_at"], 4, ["value", "logged_at"],
                metrics.Select(m => new object[] { id, m.Name, m.Fold ?? -1, m.Step ?? -1L, m.Value, loggedAt }).ToList(), cancellationToken);
            await UpsertRowsAsync(c, tx, "run_stages", ["run_id", "stage", "seconds", "ordinal"], 2, ["seconds"],
                stages.Select((st, i) => new object[] { id, st.Stage, st.Seconds, i }).ToList(), cancellationToken);
            return new ImportedRun(id, true);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Run>> GetRunsAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var ids = runIds.Distinct().ToList();
        if (ids.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<Run>>([]);
        }

        return _db.UseAsync<IReadOnlyList<Run>>(async c =>
        {
            var found = new Dictionary<long, Run>();
            foreach (var chunk in ids.Chunk(RowsPerInsert))
            {
                await LoadRunsAsync(c, chunk, found, cancellationToken);
            }

            return runIds.Where(found.ContainsKey).Select(id => found[id]).ToList();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 100_000)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"list limit {query.Limit} is out of range; give 1 to 100000");
        }

        if (query.Offset is < 0 or > 10_000_000)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"list offset {query.Offset} is out of range; give 0 to 10000000");
        }

        var sort = query.SortMetric is null ? null : Names.Check(query.SortMetric, "sort metric");
        var experiment = query.Experiment is null ? null : Names.Check(query.Experiment, "experiment");
        return _db.UseAsync<IReadOnlyList<RunSummary>>(async c =>
        {
            await using var select = Db.Command(c, null, "");
            var sql = new StringBuilder($"SELECT {RunColumns} FROM runs r");
            if (sort is not null)
            {
                sql.Append(" LEFT JOIN run_metrics m ON m.run_id = r.id AND m.name = @sort AND m.fold = -1 AND m.step = -1");
                select.With("@sort", sort);
            }

            sql.Append(" WHERE 1 = 1");
            if (experiment is not null)
            {
                sql.Append(" AND r.experiment = @experiment");
                select.With("@experiment", experiment);
            }

            if (query.Status is { } status)
            {
                sql.Append(" AND r.status = @status");
                select.With("@status", TrackingDatabase.Format(status));
            }

            sql.Append(" ORDER BY ");
            if (sort is not null)
            {
                sql.Append(query.Descending ? "m.value DESC NULLS LAST, " : "m.value ASC NULLS LAST, ");
            }
            else if (query.Order is { } order)
            {
                var direction = query.Descending ? "DESC" : "ASC";
                sql.Append(order switch
                {
                    RunOrder.Started => $"r.id {direction}, ",
                    RunOrder.Experiment => $"r.experiment {direction}, ",
                    RunOrder.Status => $"r.status {direction}, ",
                    RunOrder.Duration => $"(r.ended_at - r.started_at) {direction} NULLS LAST, ",
                    _ => throw new ArgumentOutOfRangeException(nameof(query), order, "unknown run order"),
                });
            }

            sql.Append("r.id DESC LIMIT @limit OFFSET @offset");
            select.With("@limit", query.Limit);
            select.With("@offset", query.Offset);
            select.CommandText = sql.ToString();
            var runs = new List<RunSummary>();
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    runs.Add(ReadSummary(reader));
                }
            }

            if (runs.Count == 0)
            {
                return runs;
            }

            var metrics = runs.ToDictionary(r => r.Id, _ => new SortedDictionary<string, double>(StringComparer.Ordinal));
            foreach (var chunk in runs.Select(r => r.Id).Chunk(RowsPerInsert))
            {
                await using var metricSelect = Db.Command(c, null, "");
                metricSelect.CommandText =
                    $"SELECT run_id, name, value FROM run_metrics WHERE run_id IN {metricSelect.InList("r", chunk)} AND fold = -1 AND step = -1";
                await using var reader = await metricSelect.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    metrics[reader.GetInt64(0)][reader.GetString(1)] = reader.NullableDouble(2) ?? double.NaN;
                }
            }

            return runs.Select(r => r with { Metrics = metrics[r.Id] }).ToList();
        }, cancellationToken);
    }

    private static Task UpsertMapAsync(DbConnection c, DbTransaction tx, string table, string keyColumn, string valueColumn, long runId,
        IReadOnlyDictionary<string, string> map, CancellationToken cancellationToken) =>
        UpsertRowsAsync(c, tx, table, ["run_id", keyColumn, valueColumn], 2, [valueColumn],
            map.Select(kv => new object[] { runId, kv.Key, kv.Value }).ToList(), cancellationToken);

    /// <summary>Multi-row <c>INSERT … ON CONFLICT (key) DO UPDATE</c>, valid in both dialects. The first
    /// <paramref name="keyCount"/> columns are the key; rows must have distinct keys.</summary>
    private static async Task UpsertRowsAsync(DbConnection c, DbTransaction tx, string table, string[] columns, int keyCount, string[] updateColumns,
        IReadOnlyList<object[]> rows, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(RowsPerInsert))
        {
            await using var insert = Db.Command(c, tx, "");
            var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
            for (var i = 0; i < chunk.Length; i++)
            {
                sql.Append(i == 0 ? "(" : ", (");
                for (var j = 0; j < columns.Length; j++)
                {
                    var name = $"@p{i}_{j}";
                    sql.Append(j == 0 ? name : $", {name}");
                    insert.WithValue(name, chunk[i][j]);
                }

                sql.Append(')');
            }

            sql.Append($" ON CONFLICT ({string.Join(", ", columns.Take(keyCount))}) DO UPDATE SET ")
                .Append(string.Join(", ", updateColumns.Select(col => $"{col} = excluded.{col}")));
            insert.CommandText = sql.ToString();
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task LoadRunsAsync(DbConnection c, long[] ids, Dictionary<long, Run> found, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<long, (RunSummary Summary, RunLineage Lineage, GateVerdict? Gate, Guid Uid)>();
        await using (var select = Db.Command(c, null, ""))
        {
            select.CommandText = $"""
                SELECT {RunColumns}, r.git_commit, r.git_dirty, r.dataset_hash, r.experiment_hash, r.esteira_version, r.machine,
                       r.blend_parts, r.gate_verdict, r.uid
                FROM runs r WHERE r.id IN {select.InList("r", ids)}
                """;
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var summary = ReadSummary(reader);
                var blend = reader.NullableString(17);
                var lineage = new RunLineage
                {
                    GitCommit = reader.NullableString(11), GitDirty = reader.NullableBoolean(12), DatasetHash = reader.NullableString(13),
                    ExperimentHash = reader.NullableString(14), EsteiraVersion = reader.NullableString(15), Machine = reader.NullableString(16),
                    BlendOf = blend is null ? [] : JsonSerializer.Deserialize<List<BlendPart>>(blend, EsteiraJson.Options) ?? [],
                };
                var verdict = reader.NullableString(18);
                var uid = reader.NullableString(19) is { } u ? Guid.ParseExact(u, "N") : Guid.Empty;
                rows[summary.Id] = (summary, lineage, verdict is null ? null : JsonSerializer.Deserialize<GateVerdict>(verdict, EsteiraJson.Options), uid);
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        var present = rows.Keys.ToList();
        var parameters = await ReadMapsAsync(c, "SELECT run_id, key, value FROM run_params WHERE run_id IN {0}", present, cancellationToken);
        var tags = await ReadMapsAsync(c, "SELECT run_id, key, value FROM run_tags WHERE run_id IN {0}", present, cancellationToken);
        var artifacts = await ReadMapsAsync(c, "SELECT run_id, name, uri FROM run_artifacts WHERE run_id IN {0}", present, cancellationToken);
        var metrics = present.ToDictionary(id => id, _ => new List<MetricPoint>());
        await using (var select = Db.Command(c, null, ""))
        {
            select.CommandText = $"SELECT run_id, name, fold, step, value FROM run_metrics WHERE run_id IN {select.InList("r", present)} ORDER BY run_id, name, fold, step";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var fold = reader.GetInt32(2);
                var step = reader.GetInt64(3);
                metrics[reader.GetInt64(0)].Add(new MetricPoint(reader.GetString(1), reader.NullableDouble(4) ?? double.NaN, fold < 0 ? null : fold, step < 0 ? null : step));
            }
        }

        var stages = present.ToDictionary(id => id, _ => new List<StageDuration>());
        await using (var select = Db.Command(c, null, ""))
        {
            select.CommandText = $"SELECT run_id, stage, seconds FROM run_stages WHERE run_id IN {select.InList("r", present)} ORDER BY run_id, ordinal";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stages[reader.GetInt64(0)].Add(new StageDuration(reader.GetString(1), reader.GetDouble(2)));
            }
        }

        foreach (var (id, (s, lineage, gate, uid)) in rows)
        {
            found[id] = new Run
            {
                Id = id, Uid = uid, Experiment = s.Experiment, Status = s.Status, StartedAt = s.StartedAt, EndedAt = s.EndedAt, HeartbeatAt = s.HeartbeatAt,
                Error = s.Error, Owner = s.Owner, Lineage = lineage, Gate = gate,
                Params = parameters.GetValueOrDefault(id) ?? Empty, Tags = tags.GetValueOrDefault(id) ?? Empty,
                Artifacts = artifacts.GetValueOrDefault(id) ?? Empty, Metrics = metrics[id], Stages = stages[id],
            };
        }
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static async Task<Dictionary<long, IReadOnlyDictionary<string, string>>> ReadMapsAsync(DbConnection c, string sqlFormat, List<long> ids, CancellationToken cancellationToken)
    {
        var maps = new Dictionary<long, SortedDictionary<string, string>>();
        await using var select = Db.Command(c, null, "");
        select.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, sqlFormat, select.InList("r", ids));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetInt64(0);
            if (!maps.TryGetValue(id, out var map))
            {
                maps[id] = map = new SortedDictionary<string, string>(StringComparer.Ordinal);
            }

            map[reader.GetString(1)] = reader.GetString(2);
        }

        return maps.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)kv.Value);
    }

    private static RunSummary ReadSummary(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Experiment = reader.GetString(1),
        Status = TrackingDatabase.ParseStatus(reader.GetString(2)),
        StartedAt = Db.Time(reader.GetInt64(3)),
        EndedAt = Db.Time(reader.NullableInt64(4)),
        HeartbeatAt = Db.Time(reader.GetInt64(5)),
        Error = reader.NullableString(6),
        Owner = new RunOwner(reader.GetString(7), reader.GetInt32(8), Db.Time(reader.NullableInt64(9))),
        GatePassed = reader.NullableBoolean(10),
    };

    private static List<MetricPoint> CheckMetrics(IReadOnlyList<MetricPoint>? metrics)
    {
        // Last write wins within a batch, as across batches; PostgreSQL refuses to upsert one key twice in a statement.
        var byKey = new Dictionary<(string, int, long), MetricPoint>();
        foreach (var m in metrics ?? [])
        {
            Names.Check(m.Name, "metric name");
            if (m.Fold is < 0 || m.Step is < 0)
            {
                throw new EsteiraException(ErrorCode.BadInput, $"metric '{m.Key}' has a negative fold or step; folds and steps start at 0");
            }

            byKey[(m.Name, m.Fold ?? -1, m.Step ?? -1)] = m;
        }

        return [.. byKey.Values];
    }

    private static List<StageDuration> CheckStages(IReadOnlyList<StageDuration>? stages)
    {
        var byName = new Dictionary<string, StageDuration>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var s in stages ?? [])
        {
            Names.Check(s.Stage, "stage name");
            if (!double.IsFinite(s.Seconds) || s.Seconds < 0)
            {
                throw new EsteiraException(ErrorCode.BadInput, $"stage '{s.Stage}' lasted {s.Seconds} s; a duration is a finite number of seconds ≥ 0");
            }

            if (byName.TryAdd(s.Stage, s))
            {
                order.Add(s.Stage);
            }
            else
            {
                byName[s.Stage] = s;
            }
        }

        return order.Select(n => byName[n]).ToList();
    }

    /// <summary>A uid as stored: 32 lowercase hex digits (what the migration's backfill writes too).</summary>
    private static string FormatUid(Guid uid) => uid.ToString("N");

    private static string? Mask(string? value) => value is null ? null : Names.CheckValue(value, "lineage field");
}
