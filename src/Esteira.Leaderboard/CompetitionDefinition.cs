using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Esteira.Leaderboard;

/// <summary>A team name and its key, as given on the command line or in the config (never stored in clear).</summary>
public sealed record TeamKey(string Name, string Key)
{
    /// <summary>Parses <c>NAME:KEY</c> (the key may itself contain ':').</summary>
    public static TeamKey Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == value.Length - 1)
        {
            throw new EsteiraException(ErrorCode.Usage, "--team expects NAME:KEY, e.g. --team alice:s3cret");
        }

        return new TeamKey(CompetitionDefinition.ValidateName(value[..colon], "team name"), value[(colon + 1)..]);
    }

    /// <summary>The team name with the key masked, safe for logs.</summary>
    public override string ToString() => $"{Name}:****";
}

/// <summary>
/// A competition hosted by our leaderboard server: a folder of data files (GEPIII or any Kaggle-style tabular layout,
/// plain or .gz CSVs), a solution file (<c>solution.csv[.gz]</c>: <c>ID,TARGET,Usage</c>, e.g. row_id,meter_reading,Usage)
/// and an optional <c>competition.yaml</c>/<c>.yml</c>/<c>.json</c>.
/// </summary>
/// <remarks>
/// Config keys (all optional): <c>name</c> (default: the folder's name), <c>title</c>, <c>description</c>,
/// <c>metric</c> (any <see cref="EvalMetric"/>: rmsle | rmse | mae | auc | logloss | accuracy, default rmsle), <c>daily_limit</c> (default 5, 0 = none), <c>deadline</c> and
/// <c>private_reveal</c> (ISO-8601 UTC; the reveal defaults to the deadline, and with neither the private scores stay hidden),
/// <c>count_format_errors</c> (default false), <c>max_upload_mb</c> (default 2048), <c>solution</c> (a path relative to
/// the folder) and <c>teams</c> (a list of <c>{name, key}</c> or <c>{name, key_env}</c>). Limits that keep one team from
/// stalling the server: <c>scoring_timeout_seconds</c> (default 120), <c>scoring_workers</c> (default 2),
/// <c>upload_expiry_minutes</c> (default 60: an upload never passed to CreateSubmission is deleted),
/// <c>upload_quota_mb</c> (default twice <c>max_upload_mb</c>: what a team's not yet submitted uploads may hold),
/// <c>login_max_failures</c> (default 10 per team, three times that per client address; 0 = no throttle) and
/// <c>login_window_seconds</c> (default 60).
/// </remarks>
public sealed class CompetitionDefinition
{
    /// <summary>The config file names looked for in the competition folder, in order of preference.</summary>
    public static readonly IReadOnlyList<string> ConfigNames = ["competition.yaml", "competition.yml", "competition.json"];
    // The one shape, made strict for a file people write by hand: an unknown (misspelt) key is an error; comments are allowed.
    private static readonly JsonSerializerOptions ConfigJson = new(EsteiraJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private static readonly Regex NamePattern = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    /// <summary>The competition's name (the config's <c>name</c> or the folder name), as clients address it.</summary>
    public required string Name { get; init; }
    /// <summary>The human title (<c>title</c>; defaults to <see cref="Name"/>).</summary>
    public required string Title { get; init; }
    /// <summary>The config's <c>description</c>; empty when absent.</summary>
    public string Description { get; init; } = "";
    /// <summary>The competition folder holding the data files.</summary>
    public required string Directory { get; init; }
    /// <summary>The solution file submissions are scored against.</summary>
    public required string SolutionPath { get; init; }
    /// <summary>The competition config file, or null when the folder has none.</summary>
    public string? ConfigPath { get; init; }
    /// <summary>The metric every submission is scored with; its <see cref="EvalMetric.Goal"/> orders the leaderboard.</summary>
    public EvalMetric Metric { get; init; } = EvalMetric.Rmsle;
    /// <summary>Submissions per team per UTC day (<c>daily_limit</c>); 0 means no limit.</summary>
    public int DailyLimit { get; init; } = 5;
    /// <summary>When submissions close (UTC); null for never.</summary>
    public DateTime? Deadline { get; init; }
    /// <summary>When private scores are shown (UTC; defaults to <see cref="Deadline"/>); null keeps them hidden.</summary>
    public DateTime? PrivateReveal { get; init; }
    /// <summary>Whether a submission rejected for its format still uses one of the day's submissions.</summary>
    public bool CountFormatErrors { get; init; }
    /// <summary>Largest accepted upload in bytes (<c>max_upload_mb</c>, default 2 GiB).</summary>
    public long MaxUploadBytes { get; init; } = 2048L << 20;
    /// <summary>The teams and keys declared in the config.</summary>
    public IReadOnlyList<TeamKey> Teams { get; init; } = [];

    /// <summary>How long one submission may be scored before it is refused (ERROR, not counted).</summary>
    public TimeSpan ScoringTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How many submissions are scored at once (never two of one team).</summary>
    public int ScoringWorkers { get; init; } = 2;

    /// <summary>An upload slot not passed to CreateSubmission within this time is deleted with its file.</summary>
    public TimeSpan UploadExpiry { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Bytes a team's open (not yet submitted, not expired) uploads may hold; null = twice <see cref="MaxUploadBytes"/>.</summary>
    public long? UploadQuotaBytes { get; init; }

    /// <summary>The quota in effect.</summary>
    public long EffectiveUploadQuotaBytes => UploadQuotaBytes ?? 2 * MaxUploadBytes;

    /// <summary>Failed logins per team in one window before it is refused (429) until the window ends; 0 = no throttle.</summary>
    public int LoginMaxFailures { get; init; } = 10;

    /// <summary>The window of <see cref="LoginMaxFailures"/>.</summary>
    public TimeSpan LoginWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A copy with another upload limit (<c>--max-upload-mb</c>).</summary>
    public CompetitionDefinition WithMaxUploadBytes(long maxUploadBytes) => new()
    {
        Name = Name,
        Title = Title,
        Description = Description,
        Directory = Directory,
        SolutionPath = SolutionPath,
        ConfigPath = ConfigPath,
        Metric = Metric,
        DailyLimit = DailyLimit,
        Deadline = Deadline,
        PrivateReveal = PrivateReveal,
        CountFormatErrors = CountFormatErrors,
        MaxUploadBytes = maxUploadBytes,
        Teams = Teams,
        ScoringTimeout = ScoringTimeout,
        ScoringWorkers = ScoringWorkers,
        UploadExpiry = UploadExpiry,
        UploadQuotaBytes = UploadQuotaBytes,
        LoginMaxFailures = LoginMaxFailures,
        LoginWindow = LoginWindow,
    };

    /// <summary>Whether private scores are visible at <paramref name="now"/> (a reveal time is set and has passed).</summary>
    public bool IsRevealed(DateTimeOffset now) => PrivateReveal is { } reveal && now.UtcDateTime >= reveal;

    /// <summary>Whether the deadline is set and has passed at <paramref name="now"/>.</summary>
    public bool IsClosed(DateTimeOffset now) => Deadline is { } deadline && now.UtcDateTime >= deadline;

    /// <summary>The files participants may download: top-level files other than the solution, the config and hidden ones.</summary>
    public IReadOnlyList<FileInfo> DataFiles()
    {
        var solution = Path.GetFullPath(SolutionPath);
        return new DirectoryInfo(Directory).EnumerateFiles()
            .Where(f => !f.Name.StartsWith('.')
                && !f.Name.StartsWith("solution.", StringComparison.OrdinalIgnoreCase)
                && !ConfigNames.Contains(f.Name, StringComparer.OrdinalIgnoreCase)
                && f.FullName != solution)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Reads the folder and its optional config; <paramref name="environment"/> resolves <c>key_env</c>.</summary>
    public static CompetitionDefinition Load(string directory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"--competition {directory}: no such folder; expected a GEPIII-layout folder with solution.csv[.gz]");
        }

        var configPath = ConfigNames.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
        var config = configPath is null ? new ConfigFile() : ReadConfig(configPath);
        var configName = configPath is null ? "" : Path.GetFileName(configPath);

        var solution = config.Solution is { } relative
            ? Path.GetFullPath(Path.Combine(dir, relative))
            : new[] { "solution.csv", "solution.csv.gz" }.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
        if (solution is null || !File.Exists(solution))
        {
            throw new EsteiraException(ErrorCode.NotFound,
                $"{dir}: no solution file ({config.Solution ?? "solution.csv or solution.csv.gz"}); add one with the columns ID,TARGET,Usage (e.g. row_id,meter_reading,Usage; Usage = Public or Private)");
        }

        var metric = config.Metric is null ? EvalMetric.Rmsle : EvalMetric.Parse(config.Metric, configName);

        var deadline = ParseTime(config.Deadline, configName, "deadline");
        var reveal = ParseTime(config.PrivateReveal, configName, "private_reveal") ?? deadline;
        if (config.DailyLimit is < 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{configName}: daily_limit {config.DailyLimit} is negative; use 0 for no limit");
        }

        if (config.MaxUploadMb is <= 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{configName}: max_upload_mb must be positive");
        }

        if (config.ScoringTimeoutSeconds is <= 0 || config.ScoringWorkers is <= 0 or > 64 || config.UploadExpiryMinutes is <= 0 || config.UploadQuotaMb is <= 0
            || config.LoginMaxFailures is < 0 || config.LoginWindowSeconds is <= 0)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"{configName}: scoring_timeout_seconds, upload_expiry_minutes, upload_quota_mb and login_window_seconds must be positive, scoring_workers 1-64 and login_max_failures ≥ 0 (0 = no throttle)");
        }

        var teams = new List<TeamKey>();
        foreach (var team in config.Teams ?? [])
        {
            var name = ValidateName(team.Name ?? "", $"{configName}: team name");
            string? key = team.Key;
            if (team.KeyEnv is { } variable)
            {
                key = environment is not null && environment.TryGetValue(variable, out var v) && !string.IsNullOrEmpty(v)
                    ? v
                    : throw new EsteiraException(ErrorCode.BadInput, $"{configName}: team '{name}' takes its key from ${variable}, which is not set; export it");
            }

            teams.Add(string.IsNullOrEmpty(key)
                ? throw new EsteiraException(ErrorCode.BadInput, $"{configName}: team '{name}' has no key; give key_env (preferred) or key")
                : new TeamKey(name, key));
        }

        var competitionName = ValidateName(config.Name ?? Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar)), "competition name");
        return new CompetitionDefinition
        {
            Name = competitionName,
            Title = config.Title ?? competitionName,
            Description = config.Description ?? "",
            Directory = dir,
            SolutionPath = solution,
            ConfigPath = configPath,
            Metric = metric,
            DailyLimit = config.DailyLimit ?? 5,
            Deadline = deadline,
            PrivateReveal = reveal,
            CountFormatErrors = config.CountFormatErrors ?? false,
            MaxUploadBytes = (config.MaxUploadMb ?? 2048) << 20,
            Teams = teams,
            ScoringTimeout = TimeSpan.FromSeconds(config.ScoringTimeoutSeconds ?? 120),
            ScoringWorkers = config.ScoringWorkers ?? 2,
            UploadExpiry = TimeSpan.FromMinutes(config.UploadExpiryMinutes ?? 60),
            UploadQuotaBytes = config.UploadQuotaMb is { } quota ? (long)(quota * (1 << 20)) : null,
            LoginMaxFailures = config.LoginMaxFailures ?? 10,
            LoginWindow = TimeSpan.FromSeconds(config.LoginWindowSeconds ?? 60),
        };
    }

    internal static string ValidateName(string name, string what) =>
        NamePattern.IsMatch(name)
            ? name
            : throw new EsteiraException(ErrorCode.BadInput, $"{what} '{name}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");

    private static DateTime? ParseTime(string? value, string file, string key)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new EsteiraException(ErrorCode.BadInput, $"{file}: {key} '{value}' is not a date-time; use ISO-8601 UTC such as 2026-12-31T23:59:59Z");
    }

    private static ConfigFile ReadConfig(string path)
    {
        var name = Path.GetFileName(path);
        var text = File.ReadAllText(path);
        try
        {
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                return JsonSerializer.Deserialize<ConfigFile>(text, ConfigJson) ?? new ConfigFile();
            }

            var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
            return deserializer.Deserialize<ConfigFile?>(text) ?? new ConfigFile();
        }
        catch (JsonException e)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{name}:{(e.LineNumber ?? 0) + 1}: {e.Message.Split(" Path:")[0]}; see docs/leaderboard.md for the keys", e);
        }
        catch (YamlException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            throw new EsteiraException(ErrorCode.BadInput, $"{name}:{e.Start.Line}: {reason.ReplaceLineEndings(" ")}; see docs/leaderboard.md for the keys", e);
        }
    }

    internal sealed class ConfigFile
    {
        public string? Name { get; set; }
        public string? Title { get; set; }
        public string? Description { get; set; }
        public string? Metric { get; set; }
        public int? DailyLimit { get; set; }
        public string? Deadline { get; set; }
        public string? PrivateReveal { get; set; }
        public bool? CountFormatErrors { get; set; }
        public long? MaxUploadMb { get; set; }
        public string? Solution { get; set; }
        public List<TeamEntry>? Teams { get; set; }
        public double? ScoringTimeoutSeconds { get; set; }
        public int? ScoringWorkers { get; set; }
        public double? UploadExpiryMinutes { get; set; }
        public double? UploadQuotaMb { get; set; }
        public int? LoginMaxFailures { get; set; }
        public double? LoginWindowSeconds { get; set; }
    }

    internal sealed class TeamEntry
    {
        public string? Name { get; set; }
        public string? Key { get; set; }
        public string? KeyEnv { get; set; }
    }
}
