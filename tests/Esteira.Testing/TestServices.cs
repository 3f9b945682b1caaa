using Amazon.Runtime;
using Esteira.Artifacts;

namespace Esteira.Testing;

/// <summary>The real services tests run against, as started by .ci/services.sh.</summary>
public static class TestServices
{
    public static string S3Endpoint =>
        Environment.GetEnvironmentVariable("ESTEIRA_TEST_S3") is { Length: > 0 } endpoint
            ? endpoint
            : throw new InvalidOperationException(
                "ESTEIRA_TEST_S3 is not set: these tests need the local S3-API server. Run `source .ci/services.sh` in this shell, then rerun the tests.");

    public static string Postgres =>
        Environment.GetEnvironmentVariable("ESTEIRA_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "ESTEIRA_TEST_POSTGRES is not set: these tests need a real PostgreSQL server. Run `source .ci/services.sh` in this shell (it starts one on 127.0.0.1:55432), then rerun the tests.");

    /// <summary>The local S3 server accepts any credentials; tests pass them through the variables a user would set.</summary>
    public static Func<string, string?> S3Environment(Func<string, string?>? more = null) => name => name switch
    {
        "AWS_ACCESS_KEY_ID" => "S3RVER",
        "AWS_SECRET_ACCESS_KEY" => "S3RVER",
        "AWS_REGION" => "us-east-1",
        _ => more?.Invoke(name),
    };

    /// <summary>A fresh bucket on the local S3 server.</summary>
    public static async Task<string> NewBucketAsync()
    {
        var bucket = "esteira-test-" + Guid.NewGuid().ToString("N")[..16];
        using var store = new S3ArtifactStore(bucket, "", new S3StoreOptions { ServiceUrl = S3Endpoint, Credentials = new BasicAWSCredentials("S3RVER", "S3RVER") },
            new AwsEnvironment(_ => null));
        await store.EnsureBucketAsync();
        return bucket;
    }

    /// <summary>An artifact-store URI for <paramref name="prefix"/> in <paramref name="bucket"/> on the local S3 server.</summary>
    public static string S3Uri(string bucket, string prefix) => $"s3://{bucket}/{prefix}?endpoint={Uri.EscapeDataString(S3Endpoint)}&path_style=true";

    /// <summary>The repository root (the folder holding Esteira.slnx), found above the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Esteira.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"no Esteira.slnx above {AppContext.BaseDirectory}");
        }
    }
}
