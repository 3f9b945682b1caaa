using System.Net.Http.Headers;
using System.Text;

namespace Esteira.Deploy.Kaggle;

/// <summary>How a credential authenticates: HTTP Basic (username + legacy API key) or a Bearer access token.</summary>
public enum KaggleAuthScheme
{
    /// <summary>HTTP Basic with a username and a legacy API key.</summary>
    Basic,
    /// <summary>A Bearer access token.</summary>
    Bearer,
}

/// <summary>
/// One Kaggle credential and where it was found. The secret never leaves this object except as an
/// <c>Authorization</c> header: <see cref="ToString"/> masks it, and no message built from it contains it.
/// </summary>
public sealed class KaggleCredentials
{
    private readonly string _secret;

    private KaggleCredentials(KaggleAuthScheme scheme, string? username, string secret, string source)
    {
        Scheme = scheme;
        Username = username;
        _secret = secret;
        Source = source;
    }

    /// <summary>How the credential authenticates.</summary>
    public KaggleAuthScheme Scheme { get; }

    /// <summary>The Kaggle user (or leaderboard team) name; null for a bare access token.</summary>
    public string? Username { get; }

    /// <summary>Where the credential came from, e.g. <c>KAGGLE_API_TOKEN</c> or <c>/home/u/.kaggle/kaggle.json</c>.</summary>
    public string Source { get; }

    /// <summary>A username and legacy API key (HTTP Basic), found at <paramref name="source"/>.</summary>
    public static KaggleCredentials ApiKey(string username, string key, string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return new KaggleCredentials(KaggleAuthScheme.Basic, username, key, source);
    }

    /// <summary>An access token (Bearer), found at <paramref name="source"/>.</summary>
    public static KaggleCredentials AccessToken(string token, string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new KaggleCredentials(KaggleAuthScheme.Bearer, null, token, source);
    }

    /// <summary>The header every RPC call carries (never the upload PUT).</summary>
    public AuthenticationHeaderValue ToHeader() => Scheme == KaggleAuthScheme.Basic
        ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{_secret}")))
        : new AuthenticationHeaderValue("Bearer", _secret);

    /// <summary>True when <paramref name="text"/> contains the secret; used to scrub server messages before showing them.</summary>
    public bool Leaks(string? text) => text is not null && text.Contains(_secret, StringComparison.Ordinal);

    /// <summary>Replaces any occurrence of the secret in <paramref name="text"/> with <c>****</c>.</summary>
    public string Scrub(string text) => text.Replace(_secret, "****", StringComparison.Ordinal);

    /// <summary>The scheme, username and source with the secret masked; safe to log.</summary>
    public override string ToString() => Scheme == KaggleAuthScheme.Basic
        ? $"Basic {Username}:**** (from {Source})"
        : $"Bearer **** (from {Source})";
}
