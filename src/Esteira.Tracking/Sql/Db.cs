using System.Data;
using System.Data.Common;

namespace Esteira.Tracking;

/// <summary>Small ADO.NET helpers shared by both dialects: typed parameters (so that a null still has a type for
/// PostgreSQL) and nullable reads.</summary>
internal static class Db
{
    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static DbCommand With(this DbCommand command, string name, string? value) => command.Typed(name, value, DbType.String);

    public static DbCommand With(this DbCommand command, string name, long? value) => command.Typed(name, value, DbType.Int64);

    public static DbCommand With(this DbCommand command, string name, int? value) => command.Typed(name, value, DbType.Int32);

    public static DbCommand With(this DbCommand command, string name, bool? value) => command.Typed(name, value, DbType.Boolean);

    /// <summary>NaN is stored as NULL: SQLite cannot hold NaN, and both dialects must read back the same thing.</summary>
    public static DbCommand With(this DbCommand command, string name, double? value) =>
        command.Typed(name, value is { } v && double.IsNaN(v) ? null : value, DbType.Double);

    /// <summary>Adds a parameter whose type follows the runtime type of <paramref name="value"/> (multi-row inserts).</summary>
    public static DbCommand WithValue(this DbCommand command, string name, object value) => value switch
    {
        string s => command.With(name, s),
        long l => command.With(name, l),
        int i => command.With(name, i),
        double d => command.With(name, d),
        bool b => command.With(name, b),
        _ => throw new ArgumentException($"unsupported parameter type {value.GetType().Name}", nameof(value)),
    };

    public static string? NullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? NullableInt64(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static int? NullableInt32(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static double? NullableDouble(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    public static bool? NullableBoolean(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetBoolean(ordinal);

    public static DateTimeOffset Time(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);

    public static DateTimeOffset? Time(long? unixMilliseconds) => unixMilliseconds is { } ms ? Time(ms) : null;

    /// <summary><c>(@p0, @p1, …)</c> for an IN list, adding the parameters.</summary>
    public static string InList(this DbCommand command, string prefix, IReadOnlyList<long> values)
    {
        var names = new string[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            names[i] = $"@{prefix}{i}";
            command.With(names[i], values[i]);
        }

        return $"({string.Join(", ", names)})";
    }

    private static DbCommand Typed(this DbCommand command, string name, object? value, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }
}
