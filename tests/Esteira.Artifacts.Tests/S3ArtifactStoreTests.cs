using System.Text;
using Amazon.Runtime;

namespace Esteira.Artifacts.Tests;

/// <summary>One bucket per test class on the local S3-API server (ESTEIRA_TEST_S3).</summary>
public sealed class S3BucketFixture : IDisposable
{
    public S3BucketFixture()
    {
        Bucket = "esteira-test-" + Guid.NewGuid().ToString("N")[..16];
        using var store = Open("");
        store.EnsureBucketAsync().GetAwaiter().GetResult();
    }

    public string Bucket { get; }

    /// <summary>No process variables leak in: the tests see exactly what they configure.</summary>
    public static AwsEnvironment EmptyEnvironment { get; } = new(_ => null);

    public static S3StoreOptions Options => new()
    {
        ServiceUrl = TestServices.S3Endpoint,
        // The local server accepts any credentials.
        Credentials = new BasicAWSCredentials("S3RVER", "S3RVER"),
        // The smallest part S3 allows, so that the 13 MiB contract object is a 3-part upload.
        PartSize = S3StoreOptions.MinPartSize,
    };

    public S3ArtifactStore Open(string prefix) => new(Bucket, prefix, Options, EmptyEnvironment);

    public void Dispose()
    {
    }
}

/// <summary>The contract against the real local S3-API server, each test under its own prefix of the class's bucket.</summary>
[Trait("Needs", "s3")]
public sealed class S3ArtifactStoreTests(S3BucketFixture bucket) : ArtifactStoreContract, IClassFixture<S3BucketFixture>, IDisposable
{
    private readonly List<S3ArtifactStore> _stores = [];

    protected override IArtifactStore CreateStore()
    {
        var store = bucket.Open("run-" + Guid.NewGuid().ToString("N")[..12] + "/nested");
        _stores.Add(store);
        return store;
    }

    public void Dispose() => _stores.ForEach(s => s.Dispose());

    [Fact]
    public async Task Keys_live_under_the_prefix_in_the_bucket()
    {
        // Given two stores in one bucket, one at a prefix
        using var root = bucket.Open("");
        using var prefixed = bucket.Open("team-" + Guid.NewGuid().ToString("N")[..8]);

        // When
        await PutAsync(prefixed, "cache/k", "v");

        // Then the object is at PREFIX/cache/k in the bucket, and the prefixed store lists it without the prefix
        Assert.True(await root.ExistsAsync(prefixed.Prefix + "/cache/k"));
        Assert.Equal(["cache/k"], await ListAsync(prefixed, ""));
        Assert.Equal("s3://" + bucket.Bucket + "/" + prefixed.Prefix + " at " + TestServices.S3Endpoint, prefixed.Location);
    }

    [Fact]
    public async Task More_than_one_page_of_keys_is_listed_whole_and_in_order()
    {
        // Given 1,100 keys: more than the 1,000 a ListObjectsV2 page holds
        var store = CreateStore();
        var keys = Enumerable.Range(0, 1100).Select(i => $"many/{i:D5}").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, _) => await PutAsync(store, key, key));

        // Then
        Assert.Equal(keys, await ListAsync(store, "many/"));
    }

    [Fact]
    public async Task A_missing_bucket_is_an_external_service_error_that_names_it_and_hides_the_secret()
    {
        // Given credentials from the variables (the local server checks the key id, not the secret), and a bucket that does not exist
        const string secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
        var environment = new AwsEnvironment(name => name switch
        {
            "AWS_ACCESS_KEY_ID" => "S3RVER",
            "AWS_SECRET_ACCESS_KEY" => secret,
            "AWS_ENDPOINT_URL_S3" => TestServices.S3Endpoint,
            _ => null,
        });
        using var store = new S3ArtifactStore("esteira-missing-" + Guid.NewGuid().ToString("N")[..12], "p", environment: environment);

        // When
        var error = await Assert.ThrowsAsync<EsteiraException>(() => PutAsync(store, "k", "v"));

        // Then
        Assert.Equal(ErrorCode.ExternalService, error.Code);
        Assert.Contains(store.Bucket, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, store.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_access_key_is_unauthorized_and_the_secret_stays_hidden()
    {
        const string secret = "Zm9vYmFyLXNlY3JldC12YWx1ZS0xMjM0NTY3ODkw";
        var environment = new AwsEnvironment(name => name switch
        {
            "AWS_ACCESS_KEY_ID" => "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY" => secret,
            "AWS_ENDPOINT_URL_S3" => TestServices.S3Endpoint,
            _ => null,
        });
        using var store = new S3ArtifactStore(bucket.Bucket, "p", environment: environment);

        var error = await Assert.ThrowsAsync<EsteiraException>(() => PutAsync(store, "k", "v"));

        Assert.Equal(ErrorCode.Unauthorized, error.Code);
        Assert.Contains("AWS_ACCESS_KEY_ID", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_an_external_service_error()
    {
        var options = S3BucketFixture.Options with { ServiceUrl = "http://127.0.0.1:9" };
        using var store = new S3ArtifactStore(bucket.Bucket, "", options, S3BucketFixture.EmptyEnvironment);

        var error = await Assert.ThrowsAsync<EsteiraException>(() => store.ExistsAsync("k"));

        Assert.Equal(ErrorCode.ExternalService, error.Code);
        Assert.Contains("127.0.0.1:9", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3RVER", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_and_endpoint_come_from_the_usual_AWS_variables()
    {
        // Given only variables, as on a CI runner
        var environment = new AwsEnvironment(name => name switch
        {
            "AWS_ACCESS_KEY_ID" => "S3RVER",
            "AWS_SECRET_ACCESS_KEY" => "S3RVER",
            "AWS_SESSION_TOKEN" => "session-token-value",
            "AWS_REGION" => "eu-west-1",
            "AWS_ENDPOINT_URL" => TestServices.S3Endpoint,
            _ => null,
        });

        // When opened through the registry by URI
        var store = Assert.IsType<S3ArtifactStore>(ArtifactStores.Open($"s3://{bucket.Bucket}/from-env", "/unused", environment));
        using (store)
        {
            await PutAsync(store, "k", "value");

            // Then
            Assert.Equal("value", Encoding.UTF8.GetString((await ReadAllAsync(store, "k"))!));
        }
    }
}

/// <summary>The contract with no prefix: each test gets a bucket of its own.</summary>
[Trait("Needs", "s3")]
public sealed class S3ArtifactStoreAtBucketRootTests : ArtifactStoreContract, IDisposable
{
    private readonly List<S3ArtifactStore> _stores = [];

    protected override IArtifactStore CreateStore()
    {
        var store = new S3ArtifactStore("esteira-root-" + Guid.NewGuid().ToString("N")[..16], "", S3BucketFixture.Options, S3BucketFixture.EmptyEnvironment);
        store.EnsureBucketAsync().GetAwaiter().GetResult();
        _stores.Add(store);
        return store;
    }

    public void Dispose() => _stores.ForEach(s => s.Dispose());
}
