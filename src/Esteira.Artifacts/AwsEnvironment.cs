using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;

namespace Esteira.Artifacts;

/// <summary>Reads the usual AWS variables (and the named profile) into <see cref="S3StoreOptions"/>.</summary>
/// <remarks>
/// Variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION
/// (or AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL). Values are never copied into
/// messages; <see cref="Redact"/> removes them from any text that came from elsewhere.
/// </remarks>
public sealed class AwsEnvironment
{
    private readonly Func<string, string?> _variables;

    /// <summary>Reads from <paramref name="variables"/> (a name → value lookup; null or empty means unset).</summary>
    public AwsEnvironment(Func<string, string?> variables) => _variables = variables;

    /// <summary>The process environment.</summary>
    public static AwsEnvironment Process { get; } = new(Environment.GetEnvironmentVariable);

    /// <summary>A variable's value, or null when it is unset or empty.</summary>
    public string? Get(string name) => _variables(name) is { Length: > 0 } value ? value : null;

    /// <summary>The endpoint named by AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.</summary>
    public string? Endpoint => Get("AWS_ENDPOINT_URL_S3") ?? Get("AWS_ENDPOINT_URL");

    /// <summary>Fills what <paramref name="options"/> leaves unset from the variables and the profile.</summary>
    /// <exception cref="EsteiraException">AWS_PROFILE names a profile that does not exist (<see cref="ErrorCode.Unauthorized"/>).</exception>
    public S3StoreOptions Complete(S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var region = options.Region ?? Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION");
        var credentials = options.Credentials;
        if (credentials is null && Get("AWS_ACCESS_KEY_ID") is { } id && Get("AWS_SECRET_ACCESS_KEY") is { } secret)
        {
            credentials = Get("AWS_SESSION_TOKEN") is { } token ? new SessionAWSCredentials(id, secret, token) : new BasicAWSCredentials(id, secret);
        }

        if (Get("AWS_PROFILE") is { } profileName && (credentials is null || region is null))
        {
            var chain = new CredentialProfileStoreChain();
            if (!chain.TryGetProfile(profileName, out var profile))
            {
                throw new EsteiraException(ErrorCode.Unauthorized,
                    $"AWS_PROFILE names the profile '{profileName}', which is in neither ~/.aws/credentials nor ~/.aws/config; fix AWS_PROFILE or add the profile");
            }

            region ??= profile.Region?.SystemName;
            if (credentials is null && chain.TryGetAWSCredentials(profileName, out var fromProfile))
            {
                credentials = fromProfile;
            }
        }

        return options with { Region = region, Credentials = credentials, ServiceUrl = options.ServiceUrl ?? Endpoint };
    }

    /// <summary>Replaces every secret value found in the variables by <c>***</c>.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var name in new[] { "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" })
        {
            if (Get(name) is { Length: >= 4 } secret)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }
}
