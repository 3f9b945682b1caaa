using Amazon.Runtime;

namespace Esteira.Artifacts;

/// <summary>How to reach an S3-compatible bucket; everything unset falls back to the usual AWS variables.</summary>
public sealed record S3StoreOptions
{
    /// <summary>The smallest part S3 accepts in a multipart upload (except the last one).</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The endpoint of an S3-compatible server (MinIO, s3rver…); null for AWS itself.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>The signing region (AWS_REGION / AWS_DEFAULT_REGION / the profile's region when null).</summary>
    public string? Region { get; init; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>); default: on for a custom endpoint, off for AWS.</summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>Explicit credentials; null resolves them from the environment, then the AWS profile, then the SDK chain.</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>Objects at least this large go up in multipart parts of this size (default 8 MiB, minimum 5 MiB).</summary>
    /// <remarks>Memory use of a put is one part; an object can have at most 10,000 parts.</remarks>
    public int PartSize { get; init; } = 8 * 1024 * 1024;
}
