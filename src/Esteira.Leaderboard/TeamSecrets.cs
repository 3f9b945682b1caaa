using System.Security.Cryptography;
using System.Text;

namespace Esteira.Leaderboard;

/// <summary>
/// Salted SHA-256 of team keys and upload tokens. Keys are API secrets checked on every request, so a fast hash with a
/// per-team random salt is used (as for API tokens elsewhere) rather than a slow password hash that would dominate the
/// latency of every call; hosts should hand out long random keys.
/// </summary>
public static class TeamSecrets
{
    /// <summary>Hashes <paramref name="key"/> with a new random 16-byte salt.</summary>
    public static (byte[] Salt, byte[] Hash) Hash(string key)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return (salt, Hash(salt, key));
    }

    /// <summary>SHA-256 of <paramref name="salt"/> followed by the UTF-8 bytes of <paramref name="key"/>.</summary>
    public static byte[] Hash(byte[] salt, string key)
    {
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentNullException.ThrowIfNull(key);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var input = new byte[salt.Length + keyBytes.Length];
        salt.CopyTo(input, 0);
        keyBytes.CopyTo(input, salt.Length);
        return SHA256.HashData(input);
    }

    /// <summary>Whether <paramref name="key"/> matches the team's stored hash (constant-time comparison).</summary>
    public static bool Verify(TeamRecord team, string key)
    {
        ArgumentNullException.ThrowIfNull(team);
        return CryptographicOperations.FixedTimeEquals(Hash(team.Salt, key), team.KeyHash);
    }

    /// <summary>A new random token (URL-safe) and the hash under which it is stored.</summary>
    public static (string Token, string TokenHash) NewToken()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (token, TokenHash(token));
    }

    /// <summary>The lowercase hex SHA-256 of a token, as stored (tokens are random, so no salt).</summary>
    public static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
