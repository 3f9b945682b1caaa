
namespace Esteira.Artifacts.Tests;

public sealed class ArtifactStoresTests : IDisposable
{
    private readonly TempFolder _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData(".esteira/artifacts")]
    [InlineData("file:.esteira/artifacts")]
    [InlineData("./.esteira/artifacts")]
    public void A_plain_or_file_path_opens_a_local_store_relative_to_the_workspace(string uri)
    {
        var store = Assert.IsType<LocalArtifactStore>(ArtifactStores.Open(uri, _workspace.Path));

        Assert.Equal(_workspace.Combine(".esteira", "artifacts"), store.Root);
        Assert.True(Directory.Exists(store.Root));
    }

    [Fact]
    public void Absolute_file_uris_open_a_local_store()
    {
        var absolute = _workspace.Combine("abs");

        Assert.Equal(absolute, Assert.IsType<LocalArtifactStore>(ArtifactStores.Open("file://" + absolute, "/elsewhere")).Root);
        Assert.Equal(absolute, Assert.IsType<LocalArtifactStore>(ArtifactStores.Open("file:" + absolute, "/elsewhere")).Root);
        Assert.Equal(absolute, Assert.IsType<LocalArtifactStore>(ArtifactStores.Open(absolute, "/elsewhere")).Root);
    }

    [Fact]
    public void An_s3_uri_opens_an_s3_store_with_its_bucket_prefix_and_parameters()
    {
        var environment = new AwsEnvironment(_ => null);

        using var store = Assert.IsType<S3ArtifactStore>(
            ArtifactStores.Open("s3://team-bucket/esteira/cache/?endpoint=http://127.0.0.1:4568/&region=eu-west-1&path_style=true", _workspace.Path, environment));

        Assert.Equal("team-bucket", store.Bucket);
        Assert.Equal("esteira/cache", store.Prefix);
        Assert.Equal("s3://team-bucket/esteira/cache at http://127.0.0.1:4568", store.Location);
    }

    [Fact]
    public void An_s3_store_on_AWS_needs_a_region()
    {
        var error = Assert.Throws<EsteiraException>(() => ArtifactStores.Open("s3://team-bucket/x", _workspace.Path, new AwsEnvironment(_ => null)));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("AWS_REGION", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_scheme_is_an_error_that_lists_the_known_ones()
    {
        var error = Assert.Throws<EsteiraException>(() => ArtifactStores.Open("gs://bucket/prefix", _workspace.Path));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("'gs:'", error.Message, StringComparison.Ordinal);
        Assert.Contains("file:, s3:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://AKIAEXAMPLE:SuperSecretValue@bucket/prefix")]
    [InlineData("s3://bucket/prefix?endpoint=http://user:SuperSecretValue@127.0.0.1:4568")]
    public void Credentials_in_an_s3_uri_are_refused_without_being_echoed(string uri)
    {
        var error = Assert.Throws<EsteiraException>(() => ArtifactStores.Open(uri, _workspace.Path, new AwsEnvironment(_ => null)));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.DoesNotContain("SuperSecretValue", error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://", "no bucket")]
    [InlineData("s3://Bad_Bucket/x", "not a valid S3 bucket name")]
    [InlineData("s3://bucket/../x", "prefix")]
    [InlineData("s3://bucket/x?colour=blue", "unknown parameter 'colour'")]
    [InlineData("s3://bucket/x?path_style=maybe", "path_style")]
    [InlineData("s3://bucket/x?endpoint=ftp://host", "not an http:// or https:// URL")]
    public void Malformed_s3_uris_say_what_is_wrong(string uri, string expected)
    {
        var error = Assert.Throws<EsteiraException>(() => ArtifactStores.Open(uri, _workspace.Path, new AwsEnvironment(_ => null)));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_AWS_profile_is_named_in_the_error()
    {
        var environment = new AwsEnvironment(name => name == "AWS_PROFILE" ? "no-such-profile-" + Guid.NewGuid().ToString("N")[..6] : null);

        var error = Assert.Throws<EsteiraException>(() => ArtifactStores.Open("s3://bucket/x?region=us-east-1", _workspace.Path, environment));

        Assert.Equal(ErrorCode.Unauthorized, error.Code);
        Assert.Contains("no-such-profile-", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_redactor_removes_secret_values()
    {
        var environment = new AwsEnvironment(name => name switch { "AWS_SECRET_ACCESS_KEY" => "s3cr3t-value", "AWS_SESSION_TOKEN" => "t0ken-value", _ => null });

        Assert.Equal("a *** b ***", environment.Redact("a s3cr3t-value b t0ken-value"));
    }
}
