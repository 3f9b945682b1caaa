using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Esteira.Artifacts;

/// <summary>An <see cref="IArtifactStore"/> in an S3-compatible bucket, under an optional key prefix.</summary>
/// <remarks>
/// A put is one PutObject, or a multipart upload when the content is at least one part long; S3 makes an
/// object visible only when the request (or CompleteMultipartUpload) succeeds, and a failed multipart upload
/// is aborted, so a put is atomic. Memory use of a put is one part (<see cref="S3StoreOptions.PartSize"/>).
/// Checksums are computed only when the service requires them, which keeps S3-compatible servers that do not
/// decode aws-chunked trailers (s3rver) storing the right bytes. Thread-safe.
/// Every failure is an <see cref="EsteiraException"/> whose message names the bucket and key but never a credential.
/// </remarks>
public sealed class S3ArtifactStore : IArtifactStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly AwsEnvironment _environment;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly int _partSize;
    private readonly string _location;

    /// <summary>Opens the store at <c>s3://<paramref name="bucket"/>/<paramref name="prefix"/></c>.</summary>
    /// <param name="bucket">The bucket name.</param>
    /// <param name="prefix">A key prefix inside the bucket ("" for the whole bucket).</param>
    /// <param name="options">Endpoint, region, credentials; unset values come from <paramref name="environment"/>.</param>
    /// <param name="environment">Where AWS variables are read (default: the process environment).</param>
    /// <exception cref="EsteiraException">The bucket, prefix or options are invalid, or no region can be found.</exception>
    public S3ArtifactStore(string bucket, string prefix, S3StoreOptions? options = null, AwsEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        _environment = environment ?? AwsEnvironment.Process;
        var resolved = _environment.Complete(options ?? new S3StoreOptions());
        if (resolved.PartSize < S3StoreOptions.MinPartSize)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"S3 part size {resolved.PartSize} is below the minimum {S3StoreOptions.MinPartSize} bytes (5 MiB); raise it");
        }

        _bucket = S3Uri.ValidateBucket(bucket);
        _prefix = prefix.Trim('/');
        if (_prefix.Length > 0)
        {
            ArtifactKeys.Validate(_prefix);
        }

        _partSize = resolved.PartSize;
        var endpoint = resolved.ServiceUrl is null ? null : S3Uri.ValidateEndpoint(resolved.ServiceUrl);
        _location = $"s3://{_bucket}/{_prefix}" + (endpoint is null ? "" : $" at {endpoint}");
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            ForcePathStyle = resolved.ForcePathStyle ?? endpoint is not null,
            // The endpoint is resolved here from our own variables, so that an injected environment is the whole truth.
            IgnoreConfiguredEndpointUrls = true,
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = resolved.Region ?? "us-east-1";
        }
        else if (resolved.Region is not null)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(resolved.Region);
        }
        else
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"no AWS region for {_location}: set AWS_REGION, add ?region=NAME to the s3:// URI, or name a profile with a region in AWS_PROFILE");
        }

        _client = resolved.Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(resolved.Credentials, config);
    }

    /// <inheritdoc/>
    public string Location => _location;

    /// <summary>The bucket name.</summary>
    public string Bucket => _bucket;

    /// <summary>The key prefix inside the bucket, without slashes at either end ("" for none).</summary>
    public string Prefix => _prefix;

    /// <summary>Creates the bucket unless it exists already (for tests and first-time setup).</summary>
    public async Task EnsureBucketAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // Already there.
        }
        catch (Exception e) when (IsServiceFailure(e, cancellationToken))
        {
            throw Fail("CreateBucket", null, e);
        }
    }

    /// <inheritdoc/>
    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        var objectKey = ObjectKey(key);
        try
        {
            await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = objectKey }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return false;
        }
        catch (Exception e) when (IsServiceFailure(e, cancellationToken))
        {
            throw Fail("HeadObject", key, e);
        }
    }

    /// <inheritdoc/>
    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var objectKey = ObjectKey(key);
        var buffer = ArrayPool<byte>.Shared.Rent(_partSize);
        try
        {
            var length = await ReadFullAsync(content, buffer, _partSize, cancellationToken);
            if (length < _partSize)
            {
                await PutSingleAsync(key, objectKey, buffer, length, cancellationToken);
            }
            else
            {
                await PutMultipartAsync(key, objectKey, content, buffer, length, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var objectKey = ObjectKey(key);
        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = objectKey }, cancellationToken);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (Exception e) when (IsServiceFailure(e, cancellationToken))
        {
            throw Fail("GetObject", key, e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Keys are gathered, then sorted ordinally: S3 returns UTF-8 byte order, but S3-compatible servers differ
    /// (s3rver walks its folders). Pages are fetched with ListObjects markers rather than ListObjectsV2
    /// continuation tokens, which some compatible servers fail to produce; both are supported by S3 itself.
    /// </remarks>
    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArtifactPrefix.Validate(prefix);
        var request = new ListObjectsRequest { BucketName = _bucket, Prefix = _prefix.Length == 0 ? prefix : _prefix + "/" + prefix };
        var strip = _prefix.Length == 0 ? 0 : _prefix.Length + 1;
        var keys = new List<string>();
        while (true)
        {
            ListObjectsResponse page;
            try
            {
                page = await _client.ListObjectsAsync(request, cancellationToken);
            }
            catch (Exception e) when (IsServiceFailure(e, cancellationToken))
            {
                throw Fail("ListObjects", prefix.Length == 0 ? null : prefix + "*", e);
            }

            // SDK v4 leaves collections null when the response has none.
            var objects = page.S3Objects ?? [];
            foreach (var entry in objects)
            {
                // Folder markers ("a/") made by consoles are not objects of this store.
                if (!entry.Key.EndsWith('/'))
                {
                    keys.Add(entry.Key[strip..]);
                }
            }

            if (page.IsTruncated != true || objects.Count == 0)
            {
                break;
            }

            request.Marker = objects[^1].Key;
        }

        keys.Sort(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            yield return key;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var objectKey = ObjectKey(key);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = objectKey }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            // Some S3-compatible servers answer 404 for a missing key; S3 itself answers 204.
        }
        catch (Exception e) when (IsServiceFailure(e, cancellationToken))
        {
            throw Fail("DeleteObject", key, e);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    /// <inheritdoc/>
    public override string ToString() => Location;

    private async Task PutSingleAsync(string key, string objectKey, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = objectKey,
                InputStream = body,
                AutoCloseStream = false,
                // A signed, plain body: servers that store aws-chunked framing verbatim (s3rver 3) keep the right bytes.
                UseChunkEncoding = false,
                ContentType = "application/octet-stream",
            }, cancellationToken);
        }
        catch (Exception e) when (IsServiceFailure(e, cancellationToken))
        {
            throw Fail("PutObject", key, e);
        }
    }

    private async Task PutMultipartAsync(string key, string objectKey, Stream content, byte[] buffer, int firstLength, CancellationToken cancellationToken)
    {
        string uploadId;
        try
        {
            var started = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = objectKey,
                ContentType = "application/octet-stream",
            }, cancellationToken);
            uploadId = started.UploadId;
        }
        catch (Exception e) when (IsServiceFailure(e, cancellationToken))
        {
            throw Fail("CreateMultipartUpload", key, e);
        }

        var parts = new List<PartETag>();
        try
        {
            var length = firstLength;
            // A part shorter than a full one is the last; a zero-length read after a full part means the end came exactly on a boundary.
            for (var partNumber = 1; length > 0; partNumber++)
            {
                if (partNumber > 10_000)
                {
                    throw new EsteiraException(ErrorCode.LimitExceeded,
                        $"artifact '{key}' is larger than 10,000 parts of {_partSize} bytes, the S3 multipart limit; raise the part size");
                }

                using (var body = new MemoryStream(buffer, 0, length, writable: false))
                {
                    var uploaded = await _client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = _bucket,
                        Key = objectKey,
                        UploadId = uploadId,
                        PartNumber = partNumber,
                        InputStream = body,
                        PartSize = length,
                        UseChunkEncoding = false,
                    }, cancellationToken);
                    parts.Add(new PartETag(partNumber, uploaded.ETag));
                }

                length = length < _partSize ? 0 : await ReadFullAsync(content, buffer, _partSize, cancellationToken);
            }

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = objectKey,
                UploadId = uploadId,
                PartETags = parts,
            }, cancellationToken);
        }
        catch (Exception e)
        {
            await AbortQuietlyAsync(objectKey, uploadId);
            if (IsServiceFailure(e, cancellationToken))
            {
                throw Fail("UploadPart", key, e);
            }

            throw;
        }
    }

    private async Task AbortQuietlyAsync(string objectKey, string uploadId)
    {
        try
        {
            // Not the caller's token: a cancelled put must still release the parts it uploaded.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = objectKey, UploadId = uploadId }, timeout.Token);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or OperationCanceledException)
        {
            // The bucket's lifecycle rule (abort incomplete uploads) cleans what this could not.
        }
    }

    private static async Task<int> ReadFullAsync(Stream content, byte[] buffer, int size, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < size)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, size - filled), cancellationToken);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private string ObjectKey(string key)
    {
        ArtifactKeys.Validate(key);
        return _prefix.Length == 0 ? key : _prefix + "/" + key;
    }

    private static bool IsServiceFailure(Exception e, CancellationToken cancellationToken) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private EsteiraException Fail(string operation, string? key, Exception e)
    {
        var what = key is null ? $"{operation} on {_location}" : $"{operation} of '{key}' in {_location}";
        var (code, detail, remedy) = e switch
        {
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } =>
                (ErrorCode.ExternalService, "the bucket does not exist", $"create bucket '{_bucket}' or fix the s3:// URI"),
            AmazonServiceException { StatusCode: HttpStatusCode.Forbidden, ErrorCode: "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" } se =>
                (ErrorCode.Unauthorized, $"{(int)se.StatusCode} {se.ErrorCode}", "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or AWS_PROFILE"),
            AmazonServiceException { StatusCode: HttpStatusCode.Forbidden } se =>
                (ErrorCode.Forbidden, $"{(int)se.StatusCode} {se.ErrorCode}", "the credentials are valid but not allowed this action on this bucket/prefix; check the IAM policy"),
            AmazonServiceException se =>
                (ErrorCode.ExternalService, $"{(int)se.StatusCode} {se.ErrorCode}: {se.Message}", "retry, or check the endpoint and the bucket"),
            OperationCanceledException =>
                (ErrorCode.ExternalService, "timed out", "check that the endpoint is reachable and retry"),
            _ => (ErrorCode.ExternalService, $"{e.GetType().Name}: {e.Message}", "check the endpoint (AWS_ENDPOINT_URL_S3), the region (AWS_REGION) and the network"),
        };
        return new EsteiraException(code, _environment.Redact($"S3 {what} failed: {detail}; {remedy}").ReplaceLineEndings(" "), e);
    }
}
