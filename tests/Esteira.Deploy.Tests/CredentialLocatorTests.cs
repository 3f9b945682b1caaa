using Esteira.Deploy.Kaggle;
using Xunit;

namespace Esteira.Deploy.Tests;

public sealed class CredentialLocatorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Home => _temp.Path;

    private void KaggleJson(string dir, string user, string key)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "kaggle.json"), $"{{\"username\":\"{user}\",\"key\":\"{key}\"}}");
    }

    private Dictionary<string, string?> Env(params (string Key, string? Value)[] values)
    {
        var env = new Dictionary<string, string?> { ["HOME"] = Home };
        foreach (var (k, v) in values)
        {
            env[k] = v;
        }

        return env;
    }

    [Fact]
    public void Kaggle_json_in_KAGGLE_CONFIG_DIR_wins_over_the_home_folder()
    {
        var custom = Path.Combine(Home, "custom");
        KaggleJson(custom, "fromcustom", "k1");
        KaggleJson(Path.Combine(Home, ".kaggle"), "fromhome", "k2");

        var creds = KaggleCredentialLocator.Locate(Env(("KAGGLE_CONFIG_DIR", custom)), isLinux: true);

        Assert.Equal(KaggleAuthScheme.Basic, creds.Scheme);
        Assert.Equal("fromcustom", creds.Username);
        Assert.Equal(Path.Combine(custom, "kaggle.json"), creds.Source);
    }

    [Fact]
    public void Home_dot_kaggle_is_used_when_no_config_dir_is_set()
    {
        KaggleJson(Path.Combine(Home, ".kaggle"), "fromhome", "k2");
        KaggleJson(Path.Combine(Home, ".config", "kaggle"), "fromxdg", "k3");

        Assert.Equal("fromhome", KaggleCredentialLocator.Locate(Env(), isLinux: true).Username);
    }

    [Fact]
    public void Dot_config_kaggle_is_used_on_linux_only_when_dot_kaggle_does_not_exist()
    {
        KaggleJson(Path.Combine(Home, ".config", "kaggle"), "fromxdg", "k3");
        Assert.Equal("fromxdg", KaggleCredentialLocator.Locate(Env(), isLinux: true).Username);

        var xdg = Path.Combine(Home, "xdg");
        KaggleJson(Path.Combine(xdg, "kaggle"), "fromxdghome", "k4");
        Assert.Equal("fromxdghome", KaggleCredentialLocator.Locate(Env(("XDG_CONFIG_HOME", xdg)), isLinux: true).Username);

        // Like the CLI, only one folder is read: an existing but empty ~/.kaggle hides ~/.config/kaggle.
        Directory.CreateDirectory(Path.Combine(Home, ".kaggle"));
        Assert.Null(KaggleCredentialLocator.TryLocate(Env(("XDG_CONFIG_HOME", xdg)), isLinux: true));
    }

    [Fact]
    public void Environment_username_and_key_override_the_file_field_by_field()
    {
        KaggleJson(Path.Combine(Home, ".kaggle"), "fromfile", "filekey");

        var both = KaggleCredentialLocator.Locate(Env(("KAGGLE_USERNAME", "envuser"), ("KAGGLE_KEY", "envkey")), isLinux: true);
        Assert.Equal("envuser", both.Username);
        Assert.Equal("KAGGLE_USERNAME/KAGGLE_KEY", both.Source);
        Assert.Equal(Basic("envuser", "envkey"), both.ToHeader().Parameter);

        var keyOnly = KaggleCredentialLocator.Locate(Env(("KAGGLE_KEY", "envkey")), isLinux: true);
        Assert.Equal("fromfile", keyOnly.Username);
        Assert.Equal(Basic("fromfile", "envkey"), keyOnly.ToHeader().Parameter);
    }

    [Fact]
    public void An_access_token_wins_over_a_legacy_key_and_may_be_a_file()
    {
        KaggleJson(Path.Combine(Home, ".kaggle"), "fromfile", "filekey");
        var token = KaggleCredentialLocator.Locate(Env(("KAGGLE_API_TOKEN", "tok-123"), ("KAGGLE_USERNAME", "u"), ("KAGGLE_KEY", "k")), isLinux: true);
        Assert.Equal(KaggleAuthScheme.Bearer, token.Scheme);
        Assert.Equal("tok-123", token.ToHeader().Parameter);

        var tokenFile = _temp.Combine("token.txt");
        File.WriteAllText(tokenFile, "  tok-from-file\n");
        var fromFile = KaggleCredentialLocator.Locate(Env(("KAGGLE_API_TOKEN", tokenFile)), isLinux: true);
        Assert.Equal("tok-from-file", fromFile.ToHeader().Parameter);
        Assert.Equal("Bearer", fromFile.ToHeader().Scheme);
    }

    [Fact]
    public void The_access_token_file_in_dot_kaggle_comes_before_kaggle_json()
    {
        KaggleJson(Path.Combine(Home, ".kaggle"), "fromfile", "filekey");
        File.WriteAllText(Path.Combine(Home, ".kaggle", "access_token.txt"), "tok-txt");

        var creds = KaggleCredentialLocator.Locate(Env(), isLinux: true);
        Assert.Equal(KaggleAuthScheme.Bearer, creds.Scheme);
        Assert.Equal("tok-txt", creds.ToHeader().Parameter);

        File.WriteAllText(Path.Combine(Home, ".kaggle", "access_token"), "tok-plain");
        Assert.Equal("tok-plain", KaggleCredentialLocator.Locate(Env(), isLinux: true).ToHeader().Parameter);
    }

    [Fact]
    public void No_home_folder_and_only_environment_variables_work_without_touching_the_disk()
    {
        var env = new Dictionary<string, string?> { ["KAGGLE_USERNAME"] = "ci", ["KAGGLE_KEY"] = "cikey" };
        Assert.Equal("ci", KaggleCredentialLocator.Locate(env, isLinux: true).Username);

        var error = Assert.Throws<EsteiraException>(() => KaggleCredentialLocator.Locate(new Dictionary<string, string?>(), isLinux: true));
        Assert.Equal(ErrorCode.Unauthorized, error.Code);
        Assert.Contains("KAGGLE_API_TOKEN", error.Message);
        Assert.Equal(3, ErrorCodes.ExitCode(error.Code));
    }

    [Fact]
    public void A_half_configured_key_names_what_is_missing_without_the_secret()
    {
        var error = Assert.Throws<EsteiraException>(() => KaggleCredentialLocator.Locate(Env(("KAGGLE_KEY", "supersecretkey")), isLinux: true));
        Assert.Contains("missing username", error.Message);
        Assert.DoesNotContain("supersecretkey", error.Message);
    }

    [Fact]
    public void Malformed_kaggle_json_is_reported_by_position_not_content()
    {
        Directory.CreateDirectory(Path.Combine(Home, ".kaggle"));
        File.WriteAllText(Path.Combine(Home, ".kaggle", "kaggle.json"), "{\"username\":\"u\",\"key\":\"leakedsecret\"");
        var error = Assert.Throws<EsteiraException>(() => KaggleCredentialLocator.Locate(Env(), isLinux: true));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("kaggle.json", error.Message);
        Assert.DoesNotContain("leakedsecret", error.Message);
    }

    [Fact]
    public void Secrets_are_masked_in_ToString_and_scrubbed_from_messages()
    {
        var key = KaggleCredentials.ApiKey("alice", "verysecret", "KAGGLE_KEY");
        var token = KaggleCredentials.AccessToken("tok-verysecret", "KAGGLE_API_TOKEN");

        Assert.DoesNotContain("verysecret", key.ToString());
        Assert.Contains("alice", key.ToString());
        Assert.DoesNotContain("verysecret", token.ToString());
        Assert.Equal("server said **** is wrong", key.Scrub("server said verysecret is wrong"));
    }

    [Fact]
    public void The_endpoint_follows_KAGGLE_API_ENVIRONMENT_unless_a_server_is_given()
    {
        Assert.Equal(KaggleEndpoint.Production, KaggleEndpoint.Resolve(null, new Dictionary<string, string?>()));
        Assert.Equal("http://localhost/api/v1", KaggleEndpoint.Resolve(null, new Dictionary<string, string?> { ["KAGGLE_API_ENVIRONMENT"] = "LOCALHOST" }).ToString().TrimEnd('/'));
        Assert.Equal("http://127.0.0.1:8080/api/v1", KaggleEndpoint.Resolve("http://127.0.0.1:8080", new Dictionary<string, string?> { ["KAGGLE_API_ENVIRONMENT"] = "LOCALHOST" }).ToString());
        Assert.Equal("https://api.kaggle.com/v1", KaggleEndpoint.FromServer("https://api.kaggle.com/v1/").ToString());
        Assert.Throws<EsteiraException>(() => KaggleEndpoint.FromServer("ftp://x"));
    }

    private static string Basic(string user, string key) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{key}"));
}
