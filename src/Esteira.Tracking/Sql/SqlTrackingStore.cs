using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace Esteira.Tracking;

/// <summary>
/// The tracking store over a SQL database. All queries are shared between SQLite and PostgreSQL; a dialect
/// supplies only the connection, its migrations folder, and how to take a transaction-scoped lock.
/// </summary>
/// <remarks>
/// Each operation takes its own connection from the pool and, when it writes, runs in one transaction, so two
/// processes writing at once are serialised by the database and nothing is lost. Times are stored as Unix
/// milliseconds (UTC).
/// </remarks>
public abstract class SqlTrackingStore : ITrackingStore
{
    private const int RowsPerInsert = 400;
    private const string RunColumns =
        "r.id, r.experiment, r.status, r.started_at, r.ended_at, r.heartbeat_at, r.error, r.owner_host, r.owner_pid, r.owner_started_at, r.gate_passed";

    private readonly TimeProvider _time;

    private protected SqlTrackingStore(string location, TimeProvider? time)
    {
        Location = location;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>The migrations folder: <c>sqlite</c> or <c>postgresql</c>.</summary>
    private protected abstract string Dialect { get; }

    /// <summary>A password to remove from driver messages, if the location has one.</summary>
    private protected virtual string? Secret => null;

    private protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Takes a lock named by <paramref name="key"/> until the transaction ends. SQLite needs none: its write
    /// transactions start with BEGIN IMMEDIATE and so already run one at a time.</summary>
    private protected abstract Task LockAsync(DbConnection connection, DbTransaction transaction, string key, CancellationToken cancellationToken);

    /// <summary>Runs once per open, inside the migration transaction after its lock (PostgreSQL creates its schema here).</summary>
    private protected virtual Task PrepareSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Applies pending migrations.</summary>
    private protected Task InitializeAsync(CancellationToken cancellationToken) =>
        UseAsync(c => Migrations.ApplyAsync(c, Dialect, async (conn, tx, ct) =>
        {
            await LockAsync(conn, tx, "esteira:migrations", ct);
            await PrepareSchemaAsync(conn, tx, ct);
        }, NowMs, Location, cancellationToken), cancellationToken);

    // ----- runs -----

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
        return WriteAsync(async (c, tx) =>
        {
            var now = NowMs;
            long id;
            await using (var insert = Db.Command(c, tx, """
                INSERT INTO runs (uid, experiment, status, started_at, heartbeat_at, git_commit, git_dirty, dataset_hash, experiment_hash,
                                  esteira_version, machine, blend_parts, owner_host, owner_pid, owner_started_at)
                VALUES (@uid, @experiment, 'running', @now, @now, @git_commit, @git_dirty, @dataset_hash, @experiment_hash,
                        @esteira_version, @machine, @blend_parts, @owner_host, @owner_pid, @owner_started_at)
                RETURNING id
                """)
                .With("@uid", FormatUid(Guid.NewGuid())).With("@experiment", experiment).With("@now", now)
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
        return WriteAsync<bool>(async (c, tx) =>
        {
            var now = NowMs;
            await using (var touch = Db.Command(c, tx, "UPDATE runs SET heartbeat_at = @now WHERE id = @id AND status = 'running'")
                .With("@now", now).With("@id", runId))
            {
                if (await touch.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    var status = await StatusAsync(c, tx, runId, cancellationToken);
                    throw new EsteiraException(ErrorCode.Conflict,
                        $"run {runId} is {Format(status)}; results can only be logged to a running run (start a new run instead)");
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
        return WriteAsync(async (c, tx) =>
        {
            await StatusAsync(c, tx, runId, cancellationToken);
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
        return WriteAsync(async (c, tx) =>
        {
            await using var update = Db.Command(c, tx, "UPDATE runs SET gate_passed = @passed, gate_verdict = @verdict WHERE id = @id")
                .With("@passed", verdict.Passed).With("@verdict", json).With("@id", runId);
            return await update.ExecuteNonQueryAsync(cancellationToken) == 1 ? true : throw RunNotFound(runId);
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
        return WriteAsync(async (c, tx) =>
        {
            var now = NowMs;
            await using var update = Db.Command(c, tx, """
                UPDATE runs SET status = @status, ended_at = @now, heartbeat_at = @now, error = @error
                WHERE id = @id AND status = 'running'
                """).With("@status", Format(status)).With("@now", now).With("@error", message).With("@id", runId);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return true;
            }

            await StatusAsync(c, tx, runId, cancellationToken);
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
        return WriteAsync(async (c, tx) =>
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
                .With("@uid", uid).With("@experiment", experiment).With("@status", Format(run.Status))
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

        return UseAsync<IReadOnlyList<Run>>(async c =>
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
        return UseAsync<IReadOnlyList<RunSummary>>(async c =>
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
                select.With("@status", Format(status));
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

    // ----- registry -----

    /// <inheritdoc />
    public Task<ModelVersion> RegisterVersionAsync(string model, long runId, string? note = null, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        Names.CheckRunId(runId);
        note = note is null ? null : Names.CheckValue(note, "version note");
        return WriteAsync(async (c, tx) =>
        {
            await LockAsync(c, tx, $"model:{model}", cancellationToken);
            var status = await StatusAsync(c, tx, runId, cancellationToken);
            if (status != RunStatus.Finished)
            {
                throw new EsteiraException(ErrorCode.Conflict, $"run {runId} is {Format(status)}; only a finished run can be registered as a model version");
            }

            await using (var existing = Db.Command(c, tx, "SELECT model, version, run_id, created_at, note FROM model_versions WHERE model = @m AND run_id = @r")
                .With("@m", model).With("@r", runId))
            await using (var reader = await existing.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    return ReadVersion(reader);
                }
            }

            var now = NowMs;
            await using (var ensure = Db.Command(c, tx, "INSERT INTO models (name, last_version, created_at) VALUES (@m, 0, @now) ON CONFLICT (name) DO NOTHING")
                .With("@m", model).With("@now", now))
            {
                await ensure.ExecuteNonQueryAsync(cancellationToken);
            }

            int version;
            await using (var next = Db.Command(c, tx, "UPDATE models SET last_version = last_version + 1 WHERE name = @m RETURNING last_version").With("@m", model))
            {
                version = Convert.ToInt32(await next.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            }

            await using (var insert = Db.Command(c, tx, "INSERT INTO model_versions (model, version, run_id, created_at, note) VALUES (@m, @v, @r, @now, @note)")
                .With("@m", model).With("@v", version).With("@r", runId).With("@now", now).With("@note", note))
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            return new ModelVersion(model, version, runId, Db.Time(now), note);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<AliasChange> SetAliasAsync(string model, string aliasName, int version, AliasChangeKind kind, string reason, string? actor = null, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        Names.Check(aliasName, "alias");
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"moving alias '{aliasName}' of model '{model}' needs a reason; every promotion must be explained (--reason \"…\")");
        }

        reason = Names.CheckValue(reason.Trim(), "reason");
        actor = actor is null ? null : Names.CheckValue(actor, "actor");
        return WriteAsync(async (c, tx) =>
        {
            await LockAsync(c, tx, $"model:{model}", cancellationToken);
            long runId;
            await using (var find = Db.Command(c, tx, "SELECT run_id FROM model_versions WHERE model = @m AND version = @v").With("@m", model).With("@v", version))
            {
                runId = await find.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull
                    ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)
                    : throw new EsteiraException(ErrorCode.NotFound, $"model '{model}' has no version {version}; register the run first (esteira promote RUN registers it)");
            }

            int? previous;
            await using (var current = Db.Command(c, tx, "SELECT version FROM model_aliases WHERE model = @m AND alias = @a").With("@m", model).With("@a", aliasName))
            {
                previous = await current.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull
                    ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)
                    : null;
            }

            var now = NowMs;
            await using (var upsert = Db.Command(c, tx, """
                INSERT INTO model_aliases (model, alias, version, updated_at) VALUES (@m, @a, @v, @now)
                ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """).With("@m", model).With("@a", aliasName).With("@v", version).With("@now", now))
            {
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            long id;
            await using (var history = Db.Command(c, tx, """
                INSERT INTO alias_history (model, alias, version, run_id, previous_version, kind, reason, actor, changed_at)
                VALUES (@m, @a, @v, @r, @prev, @kind, @reason, @actor, @now) RETURNING id
                """).With("@m", model).With("@a", aliasName).With("@v", version).With("@r", runId).With("@prev", previous)
                .With("@kind", Format(kind)).With("@reason", reason).With("@actor", actor).With("@now", now))
            {
                id = Convert.ToInt64(await history.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            }

            return new AliasChange
            {
                Id = id, Model = model, Alias = aliasName, Version = version, RunId = runId, PreviousVersion = previous,
                Kind = kind, Reason = reason, Actor = actor, ChangedAt = Db.Time(now),
            };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ModelVersion?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        Names.Check(aliasName, "alias");
        return UseAsync(async c =>
        {
            await using var select = Db.Command(c, null, """
                SELECT v.model, v.version, v.run_id, v.created_at, v.note FROM model_aliases a
                JOIN model_versions v ON v.model = a.model AND v.version = a.version
                WHERE a.model = @m AND a.alias = @a
                """).With("@m", model).With("@a", aliasName);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? ReadVersion(reader) : null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string model, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        return UseAsync<IReadOnlyList<ModelVersion>>(async c =>
        {
            await using var select = Db.Command(c, null, "SELECT model, version, run_id, created_at, note FROM model_versions WHERE model = @m ORDER BY version")
                .With("@m", model);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var list = new List<ModelVersion>();
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(ReadVersion(reader));
            }

            return list;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string model, string aliasName, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        Names.Check(aliasName, "alias");
        return UseAsync<IReadOnlyList<AliasChange>>(async c =>
        {
            await using var select = Db.Command(c, null, """
                SELECT id, model, alias, version, run_id, previous_version, kind, reason, actor, changed_at
                FROM alias_history WHERE model = @m AND alias = @a ORDER BY id
                """).With("@m", model).With("@a", aliasName);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var list = new List<AliasChange>();
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(new AliasChange
                {
                    Id = reader.GetInt64(0), Model = reader.GetString(1), Alias = reader.GetString(2), Version = reader.GetInt32(3),
                    RunId = reader.GetInt64(4), PreviousVersion = reader.NullableInt32(5), Kind = ParseKind(reader.GetString(6)),
                    Reason = reader.GetString(7), Actor = reader.NullableString(8), ChangedAt = Db.Time(reader.GetInt64(9)),
                });
            }

            return list;
        }, cancellationToken);
    }

    // ----- submission ledger -----

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
        return WriteAsync(async (c, tx) =>
        {
            var now = _time.GetUtcNow();
            if (dailyLimit is { } limit)
            {
                await LockAsync(c, tx, $"submissions:{target}", cancellationToken);
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
                await StatusAsync(c, tx, runId, cancellationToken);
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
        return WriteAsync(async (c, tx) =>
        {
            await using var command = Db.Command(c, tx, "");
            var set = new List<string> { "updated_at = @now" };
            command.With("@now", NowMs).With("@id", submissionId);
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
                : throw new EsteiraException(ErrorCode.NotFound, $"submission {submissionId} is not in the ledger of {Location}");
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Submission>> ListSubmissionsAsync(SubmissionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return UseAsync<IReadOnlyList<Submission>>(async c =>
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
        return UseAsync(c => CountAsync(c, null, target, since, cancellationToken), cancellationToken);
    }

    // ----- lifetime -----

    /// <inheritdoc />
    public void Dispose()
    {
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        DisposeCore();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Releases pooled connections.</summary>
    private protected abstract void DisposeCore();

    // ----- helpers -----

    private async Task<T> UseAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            return await work(connection);
        }
        catch (DbException e)
        {
            throw new EsteiraException(ErrorCode.ExternalService,
                $"tracking store {Location} failed: {Secrets.Scrub(e.Message, Secret).ReplaceLineEndings(" ")}; check that the database is reachable and writable", e);
        }
    }

    private Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        UseAsync(async c =>
        {
            await using var transaction = await c.BeginTransactionAsync(cancellationToken);
            var result = await work(c, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }, cancellationToken);

    private static async Task<RunStatus> StatusAsync(DbConnection c, DbTransaction? tx, long runId, CancellationToken cancellationToken)
    {
        await using var select = Db.Command(c, tx, "SELECT status FROM runs WHERE id = @id").With("@id", runId);
        return await select.ExecuteScalarAsync(cancellationToken) is string status ? ParseStatus(status) : throw RunNotFound(runId);
    }

    private static async Task<int> CountAsync(DbConnection c, DbTransaction? tx, string target, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var count = Db.Command(c, tx, "SELECT COUNT(*) FROM submissions WHERE target = @target AND submitted_at >= @since")
            .With("@target", target).With("@since", since.ToUnixTimeMilliseconds());
        return Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static EsteiraException RunNotFound(long runId) =>
        new(ErrorCode.NotFound, $"run {runId} does not exist; see 'esteira runs list' for the recorded runs");

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
        Status = ParseStatus(reader.GetString(2)),
        StartedAt = Db.Time(reader.GetInt64(3)),
        EndedAt = Db.Time(reader.NullableInt64(4)),
        HeartbeatAt = Db.Time(reader.GetInt64(5)),
        Error = reader.NullableString(6),
        Owner = new RunOwner(reader.GetString(7), reader.GetInt32(8), Db.Time(reader.NullableInt64(9))),
        GatePassed = reader.NullableBoolean(10),
    };

    private static ModelVersion ReadVersion(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), Db.Time(reader.GetInt64(3)), reader.NullableString(4));

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

    private static string CheckSha256(string? sha)
    {
        var s = sha?.Trim().ToLowerInvariant() ?? "";
        return s.Length == 64 && s.All(char.IsAsciiHexDigit)
            ? s
            : throw new EsteiraException(ErrorCode.BadInput, $"file hash '{sha}' is not a SHA-256; give 64 hex digits");
    }

    /// <summary>A uid as stored: 32 lowercase hex digits (what the migration's backfill writes too).</summary>
    private static string FormatUid(Guid uid) => uid.ToString("N");

    private static string? Mask(string? value) => value is null ? null : Names.CheckValue(value, "lineage field");

    internal static string Format(RunStatus status) => status switch
    {
        RunStatus.Running => "running",
        RunStatus.Finished => "finished",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private static RunStatus ParseStatus(string status) => status switch
    {
        "running" => RunStatus.Running,
        "finished" => RunStatus.Finished,
        "failed" => RunStatus.Failed,
        _ => throw new InvalidOperationException($"unknown run status '{status}' in the database"),
    };

    private static string Format(AliasChangeKind kind) => kind == AliasChangeKind.Gate ? "gate" : "manual";

    private static AliasChangeKind ParseKind(string kind) => kind == "gate" ? AliasChangeKind.Gate : AliasChangeKind.Manual;

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
