namespace Esteira.Tracking.Tests;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>Where the real services for tests are (started by <c>source .ci/services.sh</c>).</summary>
public static class TestServices
{
    public static string Postgres =>
        Environment.GetEnvironmentVariable("ESTEIRA_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "ESTEIRA_TEST_POSTGRES is not set: the PostgreSQL contract tests need a real server; run `source .ci/services.sh` first (it starts one on 127.0.0.1:55432)");
}

/// <summary>A temporary folder removed at the end of the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "esteira-tracking-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a pooled handle may still be closing.
        }
    }
}
