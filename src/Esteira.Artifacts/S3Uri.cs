using System.Text.RegularExpressions;

namespace Esteira.Artifacts;

/// <summary>Parses <c>s3://bucket/prefix?endpoint=URL&amp;region=NAME&amp;path_style=true|false</c>.</summary>
/// <remarks>Credentials are never accepted in the URI (it ends up in files and logs); they come from the AWS variables or profile.</remarks>
public sealed partial record S3Uri(string Bucket, string Prefix, S3StoreOptions Options)
{
    private static readonly string[] KnownParameters = ["endpoint", "region", "path_style"];

    /// <summary>Parses <paramref name="uri"/>.</summary>
    /// <exception cref="EsteiraException">The URI is malformed (<see cref="ErrorCode.BadInput"/>).</exception>
    public static S3Uri Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            throw Bad(uri, "does not start with s3://");
        }

        var rest = uri[5..];
        var query = "";
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (bucket.Contains('@'))
        {
            throw new EsteiraException(ErrorCode.BadInput,
                "an s3:// URI must not hold credentials (user@ or key:secret@); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE instead");
        }

        if (bucket.Length == 0)
        {
            throw Bad(uri, "has no bucket name");
        }

        ValidateBucket(bucket);
        if (prefix.Length > 0)
        {
            try
            {
                ArtifactKeys.Validate(prefix);
            }
            catch (EsteiraException)
            {
                throw Bad(uri, $"has a prefix '{prefix}' that is not plain '/'-separated segments");
            }
        }

        var options = new S3StoreOptions();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            options = name switch
            {
                "endpoint" => options with { ServiceUrl = ValidateEndpoint(value) },
                "region" when value.Length > 0 => options with { Region = value },
                "path_style" when bool.TryParse(value, out var pathStyle) => options with { ForcePathStyle = pathStyle },
                "path_style" => throw Bad(uri, $"has path_style='{value}'; expected true or false"),
                _ => throw Bad(uri, $"has an unknown parameter '{name}'; known: {string.Join(", ", KnownParameters)}"),
            };
        }

        return new S3Uri(bucket, prefix, options);
    }

    /// <summary>The URI without parameters, e.g. <c>s3://bucket/prefix</c>.</summary>
    public override string ToString() => $"s3://{Bucket}/{Prefix}";

    internal static string ValidateBucket(string bucket) =>
        BucketName().IsMatch(bucket)
            ? bucket
            : throw new EsteiraException(ErrorCode.BadInput,
                $"'{bucket}' is not a valid S3 bucket name (3-63 characters: lowercase letters, digits, '.', '-'; starting and ending with a letter or digit)");

    internal static string ValidateEndpoint(string endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"S3 endpoint '{StripUserInfo(endpoint)}' is not an http:// or https:// URL; fix AWS_ENDPOINT_URL_S3 or ?endpoint=");
        }

        if (parsed.UserInfo.Length > 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, "the S3 endpoint URL must not hold credentials; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE instead");
        }

        return parsed.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    private static string StripUserInfo(string text)
    {
        var at = text.IndexOf('@');
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 && at > scheme ? text[..(scheme + 3)] + "***@" + text[(at + 1)..] : text;
    }

    private static EsteiraException Bad(string uri, string problem) =>
        new(ErrorCode.BadInput, $"artifact store URI '{StripUserInfo(uri)}' {problem}; expected s3://BUCKET/PREFIX[?endpoint=URL&region=NAME&path_style=true]");

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
