using Dapper;

namespace Esteira.Tracking;

/// <summary>The model registry port over a SQL database: numbered versions and aliases with their history.</summary>
/// <remarks>Writes to one model take a lock named after it, so concurrent registrations number versions without gaps.</remarks>
internal sealed class SqlModelRegistry(TrackingDatabase db) : IModelRegistry
{
    private const string VersionColumns = "v.model AS Model, v.version AS Version, v.run_id AS RunId, v.created_at AS CreatedAt, v.note AS Note";

    private readonly TrackingDatabase _db = db;

    /// <inheritdoc />
    public Task<ModelVersion> RegisterVersionAsync(string model, long runId, string? note = null, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        Names.CheckRunId(runId);
        note = note is null ? null : Names.CheckValue(note, "version note");
        return _db.WriteAsync(async (c, tx) =>
        {
            await _db.Database.LockAsync(c, tx, $"model:{model}", cancellationToken);
            var status = await TrackingDatabase.StatusAsync(c, tx, runId, cancellationToken);
            if (status != RunStatus.Finished)
            {
                throw new EsteiraException(ErrorCode.Conflict, $"run {runId} is {TrackingDatabase.Format(status)}; only a finished run can be registered as a model version");
            }

            var existing = await c.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
                $"SELECT {VersionColumns} FROM model_versions v WHERE v.model = @model AND v.run_id = @runId", new { model, runId }, tx, cancellationToken: cancellationToken));
            if (existing is not null)
            {
                return existing.ToVersion();
            }

            var now = _db.NowMs;
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO models (name, last_version, created_at) VALUES (@model, 0, @now) ON CONFLICT (name) DO NOTHING",
                new { model, now }, tx, cancellationToken: cancellationToken));
            var version = await c.ExecuteScalarAsync<int>(new CommandDefinition(
                "UPDATE models SET last_version = last_version + 1 WHERE name = @model RETURNING last_version", new { model }, tx, cancellationToken: cancellationToken));
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO model_versions (model, version, run_id, created_at, note) VALUES (@model, @version, @runId, @now, @note)",
                new { model, version, runId, now, note }, tx, cancellationToken: cancellationToken));
            return new ModelVersion(model, version, runId, TrackingDatabase.FromUnixMs(now), note);
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
        return _db.WriteAsync(async (c, tx) =>
        {
            await _db.Database.LockAsync(c, tx, $"model:{model}", cancellationToken);
            var runId = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT run_id FROM model_versions WHERE model = @model AND version = @version", new { model, version }, tx, cancellationToken: cancellationToken))
                ?? throw new EsteiraException(ErrorCode.NotFound, $"model '{model}' has no version {version}; register the run first (esteira promote RUN registers it)");
            var previous = await c.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT version FROM model_aliases WHERE model = @model AND alias = @aliasName", new { model, aliasName }, tx, cancellationToken: cancellationToken));
            var now = _db.NowMs;
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO model_aliases (model, alias, version, updated_at) VALUES (@model, @aliasName, @version, @now)
                ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """, new { model, aliasName, version, now }, tx, cancellationToken: cancellationToken));
            var id = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO alias_history (model, alias, version, run_id, previous_version, kind, reason, actor, changed_at)
                VALUES (@model, @aliasName, @version, @runId, @previous, @kind, @reason, @actor, @now) RETURNING id
                """, new { model, aliasName, version, runId, previous, kind = Format(kind), reason, actor, now }, tx, cancellationToken: cancellationToken));
            return new AliasChange
            {
                Id = id, Model = model, Alias = aliasName, Version = version, RunId = runId, PreviousVersion = previous,
                Kind = kind, Reason = reason, Actor = actor, ChangedAt = TrackingDatabase.FromUnixMs(now),
            };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ModelVersion?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        Names.Check(aliasName, "alias");
        return _db.UseAsync(async c =>
        {
            var row = await c.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition($"""
                SELECT {VersionColumns} FROM model_aliases a
                JOIN model_versions v ON v.model = a.model AND v.version = a.version
                WHERE a.model = @model AND a.alias = @aliasName
                """, new { model, aliasName }, cancellationToken: cancellationToken));
            return row?.ToVersion();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string model, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        return _db.UseAsync<IReadOnlyList<ModelVersion>>(async c =>
        {
            var rows = await c.QueryAsync<VersionRow>(new CommandDefinition(
                $"SELECT {VersionColumns} FROM model_versions v WHERE v.model = @model ORDER BY v.version", new { model }, cancellationToken: cancellationToken));
            return rows.Select(r => r.ToVersion()).ToList();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string model, string aliasName, CancellationToken cancellationToken = default)
    {
        Names.Check(model, "model");
        Names.Check(aliasName, "alias");
        return _db.UseAsync<IReadOnlyList<AliasChange>>(async c =>
        {
            var rows = await c.QueryAsync<AliasChangeRow>(new CommandDefinition("""
                SELECT id AS Id, model AS Model, alias AS Alias, version AS Version, run_id AS RunId, previous_version AS PreviousVersion,
                       kind AS Kind, reason AS Reason, actor AS Actor, changed_at AS ChangedAt
                FROM alias_history WHERE model = @model AND alias = @aliasName ORDER BY id
                """, new { model, aliasName }, cancellationToken: cancellationToken));
            return rows.Select(r => new AliasChange
            {
                Id = r.Id, Model = r.Model, Alias = r.Alias, Version = r.Version, RunId = r.RunId, PreviousVersion = r.PreviousVersion,
                Kind = ParseKind(r.Kind), Reason = r.Reason, Actor = r.Actor, ChangedAt = TrackingDatabase.FromUnixMs(r.ChangedAt),
            }).ToList();
        }, cancellationToken);
    }

    private static string Format(AliasChangeKind kind) => kind == AliasChangeKind.Gate ? "gate" : "manual";

    private static AliasChangeKind ParseKind(string kind) => kind == "gate" ? AliasChangeKind.Gate : AliasChangeKind.Manual;

    /// <summary>A model_versions row as stored (time in Unix ms).</summary>
    private sealed class VersionRow
    {
        public string Model { get; init; } = "";
        public int Version { get; init; }
        public long RunId { get; init; }
        public long CreatedAt { get; init; }
        public string? Note { get; init; }

        public ModelVersion ToVersion() => new(Model, Version, RunId, TrackingDatabase.FromUnixMs(CreatedAt), Note);
    }

    /// <summary>An alias_history row as stored.</summary>
    private sealed class AliasChangeRow
    {
        public long Id { get; init; }
        public string Model { get; init; } = "";
        public string Alias { get; init; } = "";
        public int Version { get; init; }
        public long RunId { get; init; }
        public int? PreviousVersion { get; init; }
        public string Kind { get; init; } = "";
        public string Reason { get; init; } = "";
        public string? Actor { get; init; }
        public long ChangedAt { get; init; }
    }
}
