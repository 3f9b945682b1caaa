using System.Data;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using Dapper;

namespace Esteira.Tracking;

/// <summary>The runs port over a SQL database: runs with their params, metrics, tags, stages and artifacts.</summary>
/// <remarks>Each write is one transaction; a reader sees a batch entirely or not at all.</remarks>
internal sealed class SqlRunStore(TrackingDatabase db) : IRunStore
{
    private const int RowsPerInsert = 400;

    private const string RunColumns =
        "r.id AS Id, r.experiment AS Experiment, r.status AS Status, r.started_at AS StartedAt, r.ended_at AS EndedAt, r.heartbeat_at AS HeartbeatAt, " +
        "r.error AS Error, r.owner_host AS OwnerHost, r.owner_pid AS OwnerPid, r.owner_started_at AS OwnerStartedAt, r.gate_passed AS GatePassed";

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
            var id = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO runs (uid, experiment, status, started_at, heartbeat_at, git_commit, git_dirty, dataset_hash, experiment_hash,
                                  esteira_version, machine, blend_parts, owner_host, owner_pid, owner_started_at)
                VALUES (@uid, @experiment, 'running', @started, @now, @gitCommit, @GitDirty, @datasetHash, @experimentHash,
                        @esteiraVersion, @machine, @blend, @Host, @ProcessId, @ownerStartedAt)
                RETURNING id
                """, new
            {
                uid = FormatUid(Guid.NewGuid()), experiment, started, now, gitCommit = Mask(lineage.GitCommit), lineage.GitDirty,
                datasetHash = Mask(lineage.DatasetHash), experimentHash = Mask(lineage.ExperimentHash), esteiraVersion = Mask(lineage.EsteiraVersion),
                machine = Mask(lineage.Machine), blend, owner.Host, owner.ProcessId, ownerStartedAt = owner.ProcessStartedAt?.ToUnixTimeMilliseconds(),
            }, tx, cancellationToken: cancellationToken));

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
            var touched = await c.ExecuteAsync(new CommandDefinition(
                "UPDATE runs SET heartbeat_at = @now WHERE id = @runId AND status = 'running'", new { now, runId }, tx, cancellationToken: cancellationToken));
            if (touched == 0)
            {
                var status = await TrackingDatabase.StatusAsync(c, tx, runId, cancellationToken);
                throw new EsteiraException(ErrorCode.Conflict,
                    $"run {runId} is {TrackingDatabase.Format(status)}; results can only be logged to a running run (start a new run instead)");
            }

            await UpsertMapAsync(c, tx, "run_params", "key", "value", runId, parameters, cancellationToken);
            await UpsertMapAsync(c, tx, "run_tags", "key", "value", runId, tags, cancellationToken);
            await UpsertMapAsync(c, tx, "run_artifacts", "name", "uri", runId, artifacts, cancellationToken);
            await UpsertRowsAsync(c, tx, "run_metrics", ["run_id", "name", "fold", "step", "value", "logged_at"], 4, ["value", "logged_at"],
                metrics.Select(m => new object[] { runId, m.Name, m.Fold ?? -1, m.Step ?? -1L, m.Value, now }).ToList(), cancellationToken);
            if (stages.Count > 0)
            {
                var next = await c.ExecuteScalarAsync<int>(new CommandDefinition(
                    "SELECT COALESCE(MAX(ordinal), -1) FROM run_stages WHERE run_id = @runId", new { runId }, tx, cancellationToken: cancellationToken)) + 1;
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
            var changed = await c.ExecuteAsync(new CommandDefinition(
                "UPDATE runs SET gate_passed = @Passed, gate_verdict = @json WHERE id = @runId", new { verdict.Passed, json, runId }, tx, cancellationToken: cancellationToken));
            return changed == 1 ? true : throw TrackingDatabase.RunNotFound(runId);
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
            var changed = await c.ExecuteAsync(new CommandDefinition("""
                UPDATE runs SET status = @status, ended_at = @now, heartbeat_at = @now, error = @message
                WHERE id = @runId AND status = 'running'
                """, new { status = TrackingDatabase.Format(status), now, message, runId }, tx, cancellationToken: cancellationToken));
            if (changed == 1)
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
            var inserted = await c.ExecuteScalarAsync<long?>(new CommandDefinition("""
                INSERT INTO runs (uid, experiment, status, started_at, ended_at, heartbeat_at, error, git_commit, git_dirty, dataset_hash,
                                  experiment_hash, esteira_version, machine, blend_parts, owner_host, owner_pid, owner_started_at,
                                  gate_passed, gate_verdict)
                VALUES (@uid, @experiment, @status, @startedAt, @endedAt, @heartbeatAt, @error, @gitCommit, @GitDirty, @datasetHash,
                        @experimentHash, @esteiraVersion, @machine, @blend, @Host, @ProcessId, @ownerStartedAt,
                        @gatePassed, @verdict)
                ON CONFLICT (uid) DO NOTHING
                RETURNING id
                """, new
            {
                uid, experiment, status = TrackingDatabase.Format(run.Status), startedAt = run.StartedAt.ToUnixTimeMilliseconds(),
                endedAt = run.EndedAt?.ToUnixTimeMilliseconds(), heartbeatAt = run.HeartbeatAt.ToUnixTimeMilliseconds(), error,
                gitCommit = Mask(lineage.GitCommit), lineage.GitDirty, datasetHash = Mask(lineage.DatasetHash), experimentHash = Mask(lineage.ExperimentHash),
                esteiraVersion = Mask(lineage.EsteiraVersion), machine = Mask(lineage.Machine), blend, owner.Host, owner.ProcessId,
                ownerStartedAt = owner.ProcessStartedAt?.ToUnixTimeMilliseconds(), gatePassed = run.Gate?.Passed, verdict,
            }, tx, cancellationToken: cancellationToken));
            if (inserted is not { } id)
            {
                var existing = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT id FROM runs WHERE uid = @uid", new { uid }, tx, cancellationToken: cancellationToken));
                return new ImportedRun(existing, false);
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
            var parameters = new DynamicParameters(new { limit = query.Limit, offset = query.Offset });
            var sql = new StringBuilder($"SELECT {RunColumns} FROM runs r");
            if (sort is not null)
            {
                sql.Append(" LEFT JOIN run_metrics m ON m.run_id = r.id AND m.name = @sort AND m.fold = -1 AND m.step = -1");
                parameters.Add("sort", sort);
            }

            sql.Append(" WHERE 1 = 1");
            if (experiment is not null)
            {
                sql.Append(" AND r.experiment = @experiment");
                parameters.Add("experiment", experiment);
            }

            if (query.Status is { } status)
            {
                sql.Append(" AND r.status = @status");
                parameters.Add("status", TrackingDatabase.Format(status));
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
            var runs = (await c.QueryAsync<RunRow>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken)))
                .Select(r => r.ToSummary()).ToList();
            if (runs.Count == 0)
            {
                return runs;
            }

            var metrics = runs.ToDictionary(r => r.Id, _ => new SortedDictionary<string, double>(StringComparer.Ordinal));
            foreach (var chunk in runs.Select(r => r.Id).Chunk(RowsPerInsert))
            {
                var rows = await c.QueryAsync<MetricRow>(new CommandDefinition(
                    $"SELECT run_id AS RunId, name AS Name, value AS Value FROM run_metrics WHERE {_db.In("run_id", "chunk")} AND fold = -1 AND step = -1",
                    new { chunk }, cancellationToken: cancellationToken));
                foreach (var m in rows)
                {
                    metrics[m.RunId][m.Name] = m.Value ?? double.NaN;
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
            var parameters = new DynamicParameters();
            var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
            for (var i = 0; i < chunk.Length; i++)
            {
                sql.Append(i == 0 ? "(" : ", (");
                for (var j = 0; j < columns.Length; j++)
                {
                    var name = $"p{i}_{j}";
                    sql.Append(j == 0 ? $"@{name}" : $", @{name}");
                    AddTyped(parameters, name, chunk[i][j]);
                }

                sql.Append(')');
            }

            sql.Append($" ON CONFLICT ({string.Join(", ", columns.Take(keyCount))}) DO UPDATE SET ")
                .Append(string.Join(", ", updateColumns.Select(col => $"{col} = excluded.{col}")));
            await c.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, tx, cancellationToken: cancellationToken));
        }
    }

    /// <summary>Adds a parameter typed by the value's runtime type, so that a NULL (a NaN metric) still has a type for PostgreSQL.</summary>
    private static void AddTyped(DynamicParameters parameters, string name, object value)
    {
        switch (value)
        {
            case string text:
                parameters.Add(name, text, DbType.String);
                break;
            case long number:
                parameters.Add(name, number, DbType.Int64);
                break;
            case int number:
                parameters.Add(name, number, DbType.Int32);
                break;
            case double number:
                parameters.Add(name, TrackingDatabase.Stored(number), DbType.Double);
                break;
            default:
                throw new ArgumentException($"unsupported parameter type {value.GetType().Name}", nameof(value));
        }
    }

    private async Task LoadRunsAsync(DbConnection c, long[] ids, Dictionary<long, Run> found, CancellationToken cancellationToken)
    {
        var rows = (await c.QueryAsync<RunRow>(new CommandDefinition($"""
            SELECT {RunColumns}, r.git_commit AS GitCommit, r.git_dirty AS GitDirty, r.dataset_hash AS DatasetHash, r.experiment_hash AS ExperimentHash,
                   r.esteira_version AS EsteiraVersion, r.machine AS Machine, r.blend_parts AS BlendParts, r.gate_verdict AS GateVerdict, r.uid AS Uid
            FROM runs r WHERE {_db.In("r.id", "ids")}
            """, new { ids }, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        var present = rows.Select(r => r.Id).ToArray();
        var parameters = await ReadMapsAsync(c, $"SELECT run_id AS RunId, key AS Name, value AS Value FROM run_params WHERE {_db.In("run_id", "present")}", present, cancellationToken);
        var tags = await ReadMapsAsync(c, $"SELECT run_id AS RunId, key AS Name, value AS Value FROM run_tags WHERE {_db.In("run_id", "present")}", present, cancellationToken);
        var artifacts = await ReadMapsAsync(c, $"SELECT run_id AS RunId, name AS Name, uri AS Value FROM run_artifacts WHERE {_db.In("run_id", "present")}", present, cancellationToken);
        var metrics = present.ToDictionary(id => id, _ => new List<MetricPoint>());
        foreach (var m in await c.QueryAsync<MetricRow>(new CommandDefinition(
            $"SELECT run_id AS RunId, name AS Name, fold AS Fold, step AS Step, value AS Value FROM run_metrics WHERE {_db.In("run_id", "present")} ORDER BY run_id, name, fold, step",
            new { present }, cancellationToken: cancellationToken)))
        {
            metrics[m.RunId].Add(new MetricPoint(m.Name, m.Value ?? double.NaN, m.Fold < 0 ? null : m.Fold, m.Step < 0 ? null : m.Step));
        }

        var stages = present.ToDictionary(id => id, _ => new List<StageDuration>());
        foreach (var st in await c.QueryAsync<StageRow>(new CommandDefinition(
            $"SELECT run_id AS RunId, stage AS Stage, seconds AS Seconds FROM run_stages WHERE {_db.In("run_id", "present")} ORDER BY run_id, ordinal",
            new { present }, cancellationToken: cancellationToken)))
        {
            stages[st.RunId].Add(new StageDuration(st.Stage, st.Seconds));
        }

        foreach (var row in rows)
        {
            var s = row.ToSummary();
            var id = s.Id;
            found[id] = new Run
            {
                Id = id, Uid = row.Uid is { } u ? Guid.ParseExact(u, "N") : Guid.Empty, Experiment = s.Experiment, Status = s.Status,
                StartedAt = s.StartedAt, EndedAt = s.EndedAt, HeartbeatAt = s.HeartbeatAt, Error = s.Error, Owner = s.Owner,
                Lineage = new RunLineage
                {
                    GitCommit = row.GitCommit, GitDirty = row.GitDirty, DatasetHash = row.DatasetHash, ExperimentHash = row.ExperimentHash,
                    EsteiraVersion = row.EsteiraVersion, Machine = row.Machine,
                    BlendOf = row.BlendParts is null ? [] : JsonSerializer.Deserialize<List<BlendPart>>(row.BlendParts, EsteiraJson.Options) ?? [],
                },
                Gate = row.GateVerdict is null ? null : JsonSerializer.Deserialize<GateVerdict>(row.GateVerdict, EsteiraJson.Options),
                Params = parameters.GetValueOrDefault(id) ?? Empty, Tags = tags.GetValueOrDefault(id) ?? Empty,
                Artifacts = artifacts.GetValueOrDefault(id) ?? Empty, Metrics = metrics[id], Stages = stages[id],
            };
        }
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static async Task<Dictionary<long, IReadOnlyDictionary<string, string>>> ReadMapsAsync(DbConnection c, string sql, long[] present, CancellationToken cancellationToken)
    {
        var maps = new Dictionary<long, SortedDictionary<string, string>>();
        foreach (var entry in await c.QueryAsync<MapRow>(new CommandDefinition(sql, new { present }, cancellationToken: cancellationToken)))
        {
            if (!maps.TryGetValue(entry.RunId, out var map))
            {
                maps[entry.RunId] = map = new SortedDictionary<string, string>(StringComparer.Ordinal);
            }

            map[entry.Name] = entry.Value;
        }

        return maps.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)kv.Value);
    }

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

    /// <summary>A runs row as stored (times in Unix ms); the lineage columns are read only for whole runs.</summary>
    private sealed class RunRow
    {
        public long Id { get; init; }
        public string Experiment { get; init; } = "";
        public string Status { get; init; } = "";
        public long StartedAt { get; init; }
        public long? EndedAt { get; init; }
        public long HeartbeatAt { get; init; }
        public string? Error { get; init; }
        public string OwnerHost { get; init; } = "";
        public int OwnerPid { get; init; }
        public long? OwnerStartedAt { get; init; }
        public bool? GatePassed { get; init; }
        public string? GitCommit { get; init; }
        public bool? GitDirty { get; init; }
        public string? DatasetHash { get; init; }
        public string? ExperimentHash { get; init; }
        public string? EsteiraVersion { get; init; }
        public string? Machine { get; init; }
        public string? BlendParts { get; init; }
        public string? GateVerdict { get; init; }
        public string? Uid { get; init; }

        public RunSummary ToSummary() => new()
        {
            Id = Id,
            Experiment = Experiment,
            Status = TrackingDatabase.ParseStatus(Status),
            StartedAt = TrackingDatabase.FromUnixMs(StartedAt),
            EndedAt = TrackingDatabase.FromUnixMs(EndedAt),
            HeartbeatAt = TrackingDatabase.FromUnixMs(HeartbeatAt),
            Error = Error,
            Owner = new RunOwner(OwnerHost, OwnerPid, TrackingDatabase.FromUnixMs(OwnerStartedAt)),
            GatePassed = GatePassed,
        };
    }

    /// <summary>A run_metrics row (fold and step are -1 for "none").</summary>
    private sealed class MetricRow
    {
        public long RunId { get; init; }
        public string Name { get; init; } = "";
        public int Fold { get; init; }
        public long Step { get; init; }
        public double? Value { get; init; }
    }

    /// <summary>A run_stages row.</summary>
    private sealed class StageRow
    {
        public long RunId { get; init; }
        public string Stage { get; init; } = "";
        public double Seconds { get; init; }
    }

    /// <summary>A row of a run's key/value table (params, tags, artifacts).</summary>
    private sealed class MapRow
    {
        public long RunId { get; init; }
        public string Name { get; init; } = "";
        public string Value { get; init; } = "";
    }
}
