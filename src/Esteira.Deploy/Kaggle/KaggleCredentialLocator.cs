using System.Collections;
using System.Text.Json;

namespace Esteira.Deploy.Kaggle;

/// <summary>
/// Finds Kaggle credentials the way the official CLI (kaggle-cli a430f0b with kagglesdk) does, without ever
/// writing anything: serverless CI runners often have a read-only or missing home folder.
/// </summary>
/// <remarks>
/// Order, first match wins:
/// <list type="number">
/// <item>inside a Kaggle notebook (<c>KAGGLE_KERNEL_RUN_TYPE</c> and <c>KAGGLE_DATA_PROXY_URL</c> set): the file named by <c>KAGGLE_API_V1_TOKEN</c>;</item>
/// <item><c>KAGGLE_API_TOKEN</c>: a file path whose content is the token, or else the token itself (Bearer);</item>
/// <item><c>~/.kaggle/access_token</c>, then <c>~/.kaggle/access_token.txt</c> (the CLI hard-codes <c>~/.kaggle</c> here);</item>
/// <item>a legacy key: <c>kaggle.json</c> from the config folder, with <c>KAGGLE_USERNAME</c>/<c>KAGGLE_KEY</c> overriding its
/// fields one by one (Basic). The config folder is <c>KAGGLE_CONFIG_DIR</c> when set, else <c>~/.kaggle</c>, else on Linux
/// <c>$XDG_CONFIG_HOME/kaggle</c> (default <c>~/.config/kaggle</c>) when <c>~/.kaggle</c> does not exist. Like the CLI,
/// only that one folder is read.</item>
/// </list>
/// The environment is passed in as a dictionary so that callers and tests never mutate the process environment.
/// </remarks>
public static class KaggleCredentialLocator
{
    /// <summary>A snapshot of the process environment, for <see cref="Locate"/>.</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }

        return result;
    }

    /// <summary>The credential the official CLI would use; throws <see cref="ErrorCode.Unauthorized"/> when there is none.</summary>
    public static KaggleCredentials Locate(IReadOnlyDictionary<string, string?> environment, bool? isLinux = null) =>
        TryLocate(environment, isLinux) ?? throw new EsteiraException(ErrorCode.Unauthorized,
            $"no Kaggle credentials found; set KAGGLE_API_TOKEN, or KAGGLE_USERNAME and KAGGLE_KEY, or put kaggle.json in {DescribeConfigDir(environment, isLinux ?? OperatingSystem.IsLinux())}");

    /// <summary>Like <see cref="Locate"/> but returns null when nothing is configured. A half-configured key still throws.</summary>
    public static KaggleCredentials? TryLocate(IReadOnlyDictionary<string, string?> environment, bool? isLinux = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var linux = isLinux ?? OperatingSystem.IsLinux();
        var home = Home(environment);

        if (Get(environment, "KAGGLE_KERNEL_RUN_TYPE") is not null && Get(environment, "KAGGLE_DATA_PROXY_URL") is not null
            && Get(environment, "KAGGLE_API_V1_TOKEN") is { } notebookTokenFile && ReadTrimmed(notebookTokenFile) is { } notebookToken)
        {
            return KaggleCredentials.AccessToken(notebookToken, "KAGGLE_API_V1_TOKEN");
        }

        if (Get(environment, "KAGGLE_API_TOKEN") is { } tokenValue)
        {
            if (File.Exists(tokenValue))
            {
                if (ReadTrimmed(tokenValue) is { } fromFile)
                {
                    return KaggleCredentials.AccessToken(fromFile, $"KAGGLE_API_TOKEN (file {tokenValue})");
                }
            }
            else
            {
                return KaggleCredentials.AccessToken(tokenValue.Trim(), "KAGGLE_API_TOKEN");
            }
        }

        if (home is not null)
        {
            foreach (var name in new[] { "access_token", "access_token.txt" })
            {
                var path = Path.Combine(home, ".kaggle", name);
                if (File.Exists(path) && ReadTrimmed(path) is { } token)
                {
                    return KaggleCredentials.AccessToken(token, path);
                }
            }
        }

        string? username = null, key = null, fileUsed = null;
        if (ConfigDir(environment, linux) is { } dir)
        {
            var file = Path.Combine(dir, "kaggle.json");
            if (File.Exists(file))
            {
                (username, key) = ReadKaggleJson(file);
                fileUsed = file;
            }
        }

        var envUser = Get(environment, "KAGGLE_USERNAME");
        var envKey = Get(environment, "KAGGLE_KEY");
        username = envUser ?? username;
        key = envKey ?? key;
        if (username is null && key is null)
        {
            return null;
        }

        var source = (envUser is not null, envKey is not null) switch
        {
            (true, true) => "KAGGLE_USERNAME/KAGGLE_KEY",
            (false, false) => fileUsed!,
            _ => $"{fileUsed ?? "(no kaggle.json)"} with {(envUser is not null ? "KAGGLE_USERNAME" : "KAGGLE_KEY")} overriding",
        };
        if (username is null || key is null)
        {
            var missing = username is null ? "username (KAGGLE_USERNAME or \"username\" in kaggle.json)" : "key (KAGGLE_KEY or \"key\" in kaggle.json)";
            throw new EsteiraException(ErrorCode.Unauthorized,
                $"incomplete Kaggle credentials from {source}: missing {missing}; set both, or use KAGGLE_API_TOKEN");
        }

        return KaggleCredentials.ApiKey(username, key, source);
    }

    /// <summary>The one folder whose <c>kaggle.json</c> the CLI reads, or null when no home folder is known.</summary>
    public static string? ConfigDir(IReadOnlyDictionary<string, string?> environment, bool isLinux)
    {
        if (Get(environment, "KAGGLE_CONFIG_DIR") is { } explicitDir)
        {
            return explicitDir;
        }

        if (Home(environment) is not { } home)
        {
            return null;
        }

        var dotKaggle = Path.Combine(home, ".kaggle");
        if (!isLinux || Directory.Exists(dotKaggle))
        {
            return dotKaggle;
        }

        var xdg = Get(environment, "XDG_CONFIG_HOME") ?? Path.Combine(home, ".config");
        return Path.Combine(xdg, "kaggle");
    }

    private static string DescribeConfigDir(IReadOnlyDictionary<string, string?> environment, bool isLinux) =>
        ConfigDir(environment, isLinux) ?? "KAGGLE_CONFIG_DIR (no home folder is set)";

    private static (string? Username, string? Key) ReadKaggleJson(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            using var json = JsonDocument.Parse(stream);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new EsteiraException(ErrorCode.BadInput, $"{file}: expected a JSON object {{\"username\":…,\"key\":…}}; download a new kaggle.json from your Kaggle settings page");
            }

            return (Field(json.RootElement, "username"), Field(json.RootElement, "key"));
        }
        catch (JsonException e)
        {
            // The parser's message may quote file content, which is the secret: report only the position.
            throw new EsteiraException(ErrorCode.BadInput,
                $"{file}:{(e.LineNumber ?? 0) + 1}: not valid JSON; expected {{\"username\":…,\"key\":…}}, download a new kaggle.json from your Kaggle settings page");
        }
        catch (UnauthorizedAccessException)
        {
            throw new EsteiraException(ErrorCode.Unauthorized, $"{file}: not readable by this user; fix its permissions (chmod 600 and owned by you)");
        }

        static string? Field(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())
                ? value.GetString()!.Trim()
                : null;
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? Home(IReadOnlyDictionary<string, string?> environment) =>
        Get(environment, "HOME") ?? Get(environment, "USERPROFILE");

    private static string? Get(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}
