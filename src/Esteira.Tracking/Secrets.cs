using System.Data.Common;
using System.Text.RegularExpressions;

namespace Esteira.Tracking;

/// <summary>Masks passwords in URIs and connection strings before they reach a message, a log or the database.</summary>
public static partial class Secrets
{
    /// <summary>What a password is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>
    /// Returns <paramref name="text"/> with every password masked: the password part of <c>scheme://user:password@host</c>
    /// and the value of <c>Password=</c>/<c>Pwd=</c> keys in connection strings.
    /// </summary>
    public static string MaskPasswords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masked = UserInfoPassword().Replace(text, m => $"{m.Groups["pre"].Value}{Mask}@");
        return PasswordKey().Replace(masked, m => $"{m.Groups["key"].Value}={Mask}");
    }

    /// <summary>Removes a known secret from <paramref name="text"/> (e.g. an exception message from a driver).</summary>
    internal static string Scrub(string text, string? secret) =>
        string.IsNullOrEmpty(secret) ? MaskPasswords(text) : MaskPasswords(text.Replace(secret, Mask, StringComparison.Ordinal));

    /// <summary>The password in an Npgsql-style connection string, or null.</summary>
    internal static string? PasswordOf(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in new[] { "Password", "Pwd" })
            {
                if (builder.TryGetValue(key, out var value) && value is string s && s.Length > 0)
                {
                    return s;
                }
            }
        }
        catch (ArgumentException)
        {
            // Not a connection string; nothing to extract.
        }

        return null;
    }

    // scheme://user:password@host — up to the last '@' before the path, so an unescaped '@' in a password is masked too.
    [GeneratedRegex(@"(?<pre>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^/\s]*@")]
    private static partial Regex UserInfoPassword();

    [GeneratedRegex(@"(?<key>\b(?:password|pwd))\s*=\s*(?:'[^']*'|""[^""]*""|[^;]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordKey();
}
