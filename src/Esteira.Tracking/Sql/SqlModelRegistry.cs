using System.Data.Common;

namespace Esteira.Tracking;

/// <summary>The model registry port over a SQL database: numbered versions and aliases with their history.</summary>
/// <remarks>Writes to one model take a lock named after it, so concurrent registrations number versions without gaps.</remarks>
internal sealed class SqlModelRegistry(TrackingDatabase db) : IModelRegistry
{
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

            await using (var existing = Db.Command(c, tx, "SELECT model, version, run_id, created_at, note FROM model_versions WHERE model = @m AND run_id = @r")
                .With("@m", model).With("@r", runId))
            await using (var reader = await existing.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    return ReadVersion(reader);
                }
            }

            var now = _db.NowMs;
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
        return _db.WriteAsync(async (c, tx) =>
        {
            await _db.Database.LockAsync(c, tx, $"model:{model}", cancellationToken);
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

            var now = _db.NowMs;
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
        return _db.UseAsync(async c =>
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
        return _db.UseAsync<IReadOnlyList<ModelVersion>>(async c =>
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
        return _db.UseAsync<IReadOnlyList<AliasChange>>(async c =>
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

    private static ModelVersion ReadVersion(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), Db.Time(reader.GetInt64(3)), reader.NullableString(4));

    private static string Format(AliasChangeKind kind) => kind == AliasChangeKind.Gate ? "gate" : "manual";

    private static AliasChangeKind ParseKind(string kind) => kind == "gate" ? AliasChangeKind.Gate : AliasChangeKind.Manual;
}
