namespace Esteira.Tracking.Tests;

/// <summary>Where the real services for tests are (started by <c>source .ci/services.sh</c>).</summary>
public static class TestServices
{
    public static string Postgres =>
        Environment.GetEnvironmentVariable("ESTEIRA_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "ESTEIRA_TEST_POSTGRES is not set: the PostgreSQL contract tests need a real server; run `source .ci/services.sh` first (it starts one on 127.0.0.1:55432)");
}
