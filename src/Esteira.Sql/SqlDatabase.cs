using System.Data.Common;

namespace Esteira.Sql;

/// <summary>The SQL engines a store can live in; each has its own migrations folder.</summary>
public enum SqlDialect
{
    /// <summary>An embedded SQLite file.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server.</summary>
    Postgres,
}

/// <summary>
/// One database a store lives in: how to open a connection, begin a write transaction and take a lock in it. The
/// queries themselves are shared by both dialects (Dapper over <see cref="DbConnection"/>); only these seams differ.
/// </summary>
/// <remarks>Safe to use from several threads: every operation opens its own pooled connection.</remarks>
public abstract class SqlDatabase : IAsyncDisposable, IDisposable
{
    /// <summary>The engine, which picks the migrations folder.</summary>
    public abstract SqlDialect Dialect { get; }

    /// <summary>A password to remove from driver messages, if the connection has one.</summary>
    public virtual string? Secret => null;

    /// <summary>An open connection from the pool; the caller disposes it.</summary>
    public abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default);

    /// <summary>Begins a transaction that may write. SQLite takes its single write lock up front (BEGIN IMMEDIATE), so a
    /// read-then-write inside cannot interleave with another writer.</summary>
    public virtual async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return await connection.BeginTransactionAsync(cancellationToken);
    }

    /// <summary>Takes a lock named by <paramref name="key"/> until <paramref name="transaction"/> ends. SQLite needs none:
    /// its write transactions already run one at a time.</summary>
    public abstract Task LockAsync(DbConnection connection, DbTransaction transaction, string key, CancellationToken cancellationToken = default);

    /// <summary>Runs first in every migration transaction, after its lock (PostgreSQL creates a named schema here).</summary>
    public virtual Task PrepareAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken = default) => Task.CompletedTask;

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
    protected abstract void DisposeCore();

    /// <summary>A stable 64-bit key (FNV-1a) for PostgreSQL's transaction-scoped advisory locks.</summary>
    public static long LockId(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = 14695981039346656037UL;
        foreach (var ch in key)
        {
            hash ^= ch;
            hash *= 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
