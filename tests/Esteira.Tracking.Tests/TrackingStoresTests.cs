using Xunit;

namespace Esteira.Tracking.Tests;

public sealed class TrackingStoresTests
{
    [Theory]
    [InlineData("postgresql://ml:s3cr%40t@db:5432/esteira", "postgresql://ml:***@db:5432/esteira")]
    [InlineData("see postgres://a:b@h/x and s3://key:secret@bucket", "see postgres://a:***@h/x and s3://key:***@bucket")]
    [InlineData("Host=db;Username=ml;Password=hunter2;Database=x", "Host=db;Username=ml;Password=***;Database=x")]
    [InlineData("host=db;pwd='a;b'", "host=db;pwd=***")]
    [InlineData("postgresql://ml@db/esteira", "postgresql://ml@db/esteira")]
    public void Passwords_are_masked(string text, string masked) => Assert.Equal(masked, Secrets.MaskPasswords(text));

    [Fact]
    public async Task An_unknown_scheme_is_refused_with_the_known_ones_and_no_password()
    {
        using var dir = new TempFolder();

        var error = await Assert.ThrowsAsync<EsteiraException>(() => TrackingStores.OpenAsync("mysql://root:hunter2@db/esteira", dir.Path));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("unknown tracking store scheme 'mysql:'", error.Message, StringComparison.Ordinal);
        Assert.Contains("sqlite:, postgresql:, postgres:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_postgresql_is_an_external_service_error_without_the_password()
    {
        using var dir = new TempFolder();

        var error = await Assert.ThrowsAsync<EsteiraException>(() => TrackingStores.OpenAsync("postgresql://ml:hunter2@127.0.0.1:1/esteira?connect_timeout=2", dir.Path));

        Assert.Equal(ErrorCode.ExternalService, error.Code);
        Assert.Contains("postgresql://ml:***@127.0.0.1:1/esteira", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite:runs/t.db", "runs/t.db")]
    [InlineData("runs/plain.db", "runs/plain.db")]
    [InlineData("", ".esteira/esteira.db")]
    public async Task Sqlite_paths_are_relative_to_the_workspace(string uri, string expected)
    {
        using var dir = new TempFolder();

        await using var store = await TrackingStores.OpenAsync(uri, dir.Path);

        Assert.Equal(Path.Combine(dir.Path, expected), ((SqliteTrackingStore)store).DatabasePath);
        Assert.Equal($"sqlite:{Path.Combine(dir.Path, expected)}", store.Location);
    }

    [Fact]
    public async Task An_absolute_sqlite_uri_ignores_the_workspace()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "abs.db");

        await using var store = await TrackingStores.OpenAsync($"sqlite://{path}", "/nonexistent");

        Assert.Equal(path, ((SqliteTrackingStore)store).DatabasePath);
    }

    [Fact]
    public void A_postgresql_uri_becomes_connection_settings()
    {
        var b = PostgresConnection.Parse("postgresql://ml:p%40ss@db.internal:6543/tracking?schema=team_a&sslmode=disable&application_name=esteira");

        Assert.Equal(("db.internal", 6543, "ml", "p@ss", "tracking", "team_a", "esteira"),
            (b.Host, b.Port, b.Username, b.Password, b.Database, b.SearchPath, b.ApplicationName));
        Assert.Equal(5432, PostgresConnection.Parse("postgres://db/x").Port);
    }

    [Theory]
    [InlineData("postgresql://ml:hunter2@db/x?colour=blue", "option 'colour'")]
    [InlineData("postgresql://ml:hunter2@db/x?schema=a;drop", "is not a plain identifier")]
    [InlineData("Host=db;Password=hunter2;Bogus=1", "not a valid PostgreSQL connection string")]
    public void Bad_postgresql_settings_are_refused_without_the_password(string text, string problem)
    {
        var error = Assert.Throws<EsteiraException>(() => PostgresConnection.Parse(text));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres", true)]
    [InlineData("server=db;database=x", true)]
    [InlineData("runs/a=b.db", false)]
    [InlineData("postgresql://u@h/db", false)]
    public void Connection_strings_are_told_apart_from_paths(string text, bool isConnectionString) =>
        Assert.Equal(isConnectionString, PostgresConnection.IsConnectionString(text));
}
