using System.Data.Common;
using Dapper;
using Esteira.Sql;

namespace Esteira.Tracking;

/// <summary>
/// What the three SQL ports of the tracking store share: the database, its location for messages, the clock, and one
/// way to run work on a pooled connection that turns driver failures into <see cref="EsteiraException"/>s without
/// the password.
/// </summary>
internal sealed class TrackingDatabase(SqlDatabase database, string location, TimeProvider time)
{
    public SqlDatabase Database { get; } = database;

    /// <summary>Where the store lives, for messages; a password is always masked.</summary>
    public string Location { get; } = location;

    public TimeProvider Time { get; } = time;

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Brings the schema up to date.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken) =>
        Guard(() => Migrator.ApplyAsync(Database, MigrationSet.Tracking(Database.Dialect), Location, Time, cancellationToken));

    public Task<T> UseAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await Database.OpenConnectionAsync(cancellationToken);
            return await work(connection);
        });

    /// <summary>Runs <paramref name="work"/> in one write transaction, committed when it returns.</summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        UseAsync(async c =>
        {
            await using var transaction = await Database.BeginWriteAsync(c, cancellationToken);
            var result = await work(c, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }, cancellationToken);

    /// <summary>A condition that <paramref name="column"/> is one of the array parameter <paramref name="parameter"/>: Dapper
    /// expands <c>IN @list</c> for SQLite, but hands PostgreSQL the array whole, which only <c>= ANY(…)</c> accepts.</summary>
    public string In(string column, string parameter) =>
        Database.Dialect == SqlDialect.Postgres ? $"{column} = ANY(@{parameter})" : $"{column} IN @{parameter}";

    public static async Task<RunStatus> StatusAsync(DbConnection c, DbTransaction? tx, long runId, CancellationToken cancellationToken) =>
        await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT status FROM runs WHERE id = @runId", new { runId }, tx, cancellationToken: cancellationToken))
            is { } status ? ParseStatus(status) : throw RunNotFound(runId);

    /// <summary>A value as stored: NaN becomes NULL, because SQLite cannot hold NaN and both dialects must read back the same thing.</summary>
    public static double? Stored(double? value) => value is { } v && double.IsNaN(v) ? null : value;

    public static DateTimeOffset FromUnixMs(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);

    public static DateTimeOffset? FromUnixMs(long? unixMilliseconds) => unixMilliseconds is { } ms ? FromUnixMs(ms) : null;

    public static EsteiraException RunNotFound(long runId) =>
        new(ErrorCode.NotFound, $"run {runId} does not exist; see 'esteira runs list' for the recorded runs");

    /// <summary>A run status as stored (and as shown).</summary>
    public static string Format(RunStatus status) => status switch
    {
        RunStatus.Running => "running",
        RunStatus.Finished => "finished",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static RunStatus ParseStatus(string status) => status switch
    {
        "running" => RunStatus.Running,
        "finished" => RunStatus.Finished,
        "failed" => RunStatus.Failed,
        _ => throw new EsteiraException(ErrorCode.ExternalService, $"unknown run status '{status}' in the tracking database; was it written by a newer esteira? Upgrade the tool"),
    };

    private async Task<T> Guard<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (DbException e)
        {
            throw new EsteiraException(ErrorCode.ExternalService,
                $"tracking store {Location} failed: {Secrets.Scrub(e.Message, Database.Secret).ReplaceLineEndings(" ")}; check that the database is reachable and writable", e);
        }
    }
}
