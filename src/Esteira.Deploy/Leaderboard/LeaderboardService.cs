using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Esteira.Deploy.Kaggle;
using Esteira.Data.Submissions;
using Microsoft.Extensions.Logging;

namespace Esteira.Deploy.Leaderboard;

/// <summary>The fields of any RPC request body we read; every method uses a subset, unknown fields are ignored.</summary>
public sealed record RpcRequest
{
    public string? CompetitionName { get; init; }
    public string? FileName { get; init; }
    public long ContentLength { get; init; }
    public long LastModifiedEpochSeconds { get; init; }
    public string? BlobFileTokens { get; init; }
    public string? SubmissionDescription { get; init; }
    public long Ref { get; init; }
    public int PageSize { get; init; }

    /// <summary>The old 1-based page number (<c>competitions list --page 2</c>); -1 or absent means "use pageToken".</summary>
    public int Page { get; init; }
    public string? PageToken { get; init; }
    public bool OverridePublic { get; init; }
    public string? Search { get; init; }
    public string? Token { get; init; }
}

/// <summary>
/// The leaderboard's rules, independent of HTTP: who a caller is, upload slots, the daily limit, asynchronous scoring,
/// what each team may see (only its own submissions; private scores only after the reveal) and the rankings.
/// </summary>
public sealed class LeaderboardService : IAsyncDisposable
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;
    /// <summary>Per client address, this many times a team's failed-login limit (several teams may share one address).</summary>
    private const int AddressFailureFactor = 3;
    private static readonly TimeSpan FileLinkLifetime = TimeSpan.FromHours(1);

    private readonly ILeaderboardStore _store;
    private readonly BlobStore _blobs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FairQueue _queue = new();
    private readonly LoginThrottle _teamLogins;
    private readonly LoginThrottle _addressLogins;
    private readonly byte[] _linkKey = RandomNumberGenerator.GetBytes(32);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _archiveLock = new(1, 1);
    private readonly ConcurrentDictionary<string, byte> _receiving = new(StringComparer.Ordinal);
    private IReadOnlyList<TeamRecord> _teams = [];
    private readonly List<Task> _workers = [];
    private Task? _sweeper;

    private LeaderboardService(CompetitionDefinition competition, ReferenceRows solution, ILeaderboardStore store, BlobStore blobs, TimeProvider time, ILogger logger)
    {
        Competition = competition;
        Solution = solution;
        _store = store;
        _blobs = blobs;
        _time = time;
        _logger = logger;
        _teamLogins = new LoginThrottle(time, competition.LoginMaxFailures, competition.LoginWindow);
        _addressLogins = new LoginThrottle(time, competition.LoginMaxFailures * AddressFailureFactor, competition.LoginWindow);
    }

    /// <summary>Test seam: runs before a submission is scored, with the scoring's cancellation token.</summary>
    internal Func<SubmissionRecord, CancellationToken, Task>? BeforeScoring { get; set; }

    /// <summary>Test seam: called with each ref once its scoring finished (COMPLETE or ERROR).</summary>
    internal Action<long>? Scored { get; set; }

    public CompetitionDefinition Competition { get; }

    /// <summary>The clock the service and its endpoints read.</summary>
    public TimeProvider Time => _time;

    public ReferenceRows Solution { get; }

    public ILeaderboardStore Store => _store;

    /// <summary>Initialises the store and registers the competition's teams (their keys hashed).</summary>
    public static async Task<LeaderboardService> CreateAsync(CompetitionDefinition competition, ReferenceRows solution, ILeaderboardStore store, BlobStore blobs,
        IEnumerable<TeamKey> extraTeams, TimeProvider time, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(competition);
        ArgumentNullException.ThrowIfNull(store);
        var service = new LeaderboardService(competition, solution, store, blobs, time, logger);
        await store.InitializeAsync(cancellationToken);
        var existing = (await store.ListTeamsAsync(competition.Name, cancellationToken)).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var team in competition.Teams.Concat(extraTeams))
        {
            if (!existing.TryGetValue(team.Name, out var known) || !TeamSecrets.Verify(known, team.Key))
            {
                var (salt, hash) = TeamSecrets.Hash(team.Key);
                await store.UpsertTeamAsync(competition.Name, team.Name, salt, hash, cancellationToken);
            }
        }

        service._teams = await store.ListTeamsAsync(competition.Name, cancellationToken);
        return service;
    }

    public IReadOnlyList<TeamRecord> Teams => _teams;

    /// <summary>
    /// Starts the scoring workers (<see cref="CompetitionDefinition.ScoringWorkers"/>, served round robin per team) and the
    /// sweeper of expired uploads, and queues every submission a previous run left PENDING.
    /// </summary>
    public async Task StartScoringAsync(CancellationToken cancellationToken = default)
    {
        foreach (var pending in await _store.ListPendingAsync(Competition.Name, cancellationToken))
        {
            if (await _store.GetSubmissionAsync(Competition.Name, pending, cancellationToken) is { } record)
            {
                _queue.Enqueue(record.Team, pending);
            }
        }

        // Dedicated threads: scoring a large file is seconds of CPU that should not sit on a thread-pool thread.
        for (var i = 0; i < Competition.ScoringWorkers; i++)
        {
            _workers.Add(Task.Factory.StartNew(() => ScoreLoopAsync(_stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap());
        }

        _sweeper = SweepLoopAsync(_stopping.Token);
    }

    /// <summary>Stops scoring at once: a submission being scored stays PENDING and is scored again at the next start.</summary>
    public void BeginStop()
    {
        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
        }
    }

    // ---- authentication ----

    /// <summary>
    /// The team named by the header, or null when it matches none (counted as a failed login of the claimed team and of
    /// <paramref name="address"/>).
    /// </summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.LimitExceeded"/> (HTTP 429 with Retry-After): too many failed logins of
    /// this team or from this address in the current window; the key is not even checked.</exception>
    public TeamRecord? Authenticate(string? authorization, string address)
    {
        var claimed = ClaimedTeam(authorization);
        var teamKey = claimed is null ? null : "team:" + claimed;
        var addressKey = "address:" + address;
        var wait = _addressLogins.RetryAfter(addressKey) ?? (teamKey is null ? null : _teamLogins.RetryAfter(teamKey));
        if (wait is { } retry)
        {
            var seconds = (int)Math.Ceiling(retry.TotalSeconds);
            var (who, max) = teamKey is not null && _teamLogins.RetryAfter(teamKey) is not null
                ? ($"for team '{claimed}'", _teamLogins.MaxFailures)
                : ("from this address", _addressLogins.MaxFailures);
            var error = new EsteiraException(ErrorCode.LimitExceeded,
                $"too many failed logins {who} ({max} within {Competition.LoginWindow.TotalSeconds:0} s); try again in {seconds} s with the right key");
            error.Data[LeaderboardApi.RetryAfterKey] = seconds;
            throw error;
        }

        var team = Authenticate(authorization);
        if (team is null && !string.IsNullOrWhiteSpace(authorization))
        {
            _addressLogins.Fail(addressKey);
            if (teamKey is not null)
            {
                _teamLogins.Fail(teamKey);
            }
        }

        return team;
    }

    /// <summary>The known team a Basic header names (whatever its key), or null.</summary>
    private string? ClaimedTeam(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization) || !AuthenticationHeaderValue.TryParse(authorization, out var header) || header.Parameter is null
            || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            var name = colon <= 0 ? null : decoded[..colon];
            return name is not null && _teams.Any(t => t.Name == name) ? name : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The team named by a Basic (team:key) or Bearer (key) header, or null when it matches none (not throttled).</summary>
    public TeamRecord? Authenticate(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization) || !AuthenticationHeaderValue.TryParse(authorization, out var header) || header.Parameter is null)
        {
            return null;
        }

        if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            }
            catch (FormatException)
            {
                return null;
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            var name = decoded[..colon];
            var team = _teams.FirstOrDefault(t => t.Name == name);
            return team is not null && TeamSecrets.Verify(team, decoded[(colon + 1)..]) ? team : null;
        }

        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return _teams.FirstOrDefault(t => TeamSecrets.Verify(t, header.Parameter));
        }

        return null;
    }

    // ---- competition and data ----

    public ApiCompetition DescribeCompetition(Uri baseUrl) => new()
    {
        Id = 1,
        Ref = Competition.Name,
        Title = Competition.Title,
        Url = new Uri(baseUrl, $"competitions/{Competition.Name}").AbsoluteUri,
        Description = Competition.Description,
        OrganizationName = "esteira",
        Category = "Community",
        Reward = "Knowledge",
        Deadline = Competition.Deadline,
        TeamCount = _teams.Count,
        UserHasEntered = true,
        MaxDailySubmissions = Competition.DailyLimit,
        MaxTeamSize = 1,
        EvaluationMetric = Competition.Metric.ToString().ToUpperInvariant(),
        SubmissionsDisabled = Competition.IsClosed(_time.GetUtcNow()),
        HostName = "esteira",
    };

    public ListCompetitionsResponse ListCompetitions(RpcRequest request, Uri baseUrl)
    {
        var search = request.Search?.Trim() ?? "";
        var matches = search.Length == 0
            || Competition.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
            || Competition.Title.Contains(search, StringComparison.OrdinalIgnoreCase);
        List<ApiCompetition> all = matches ? [DescribeCompetition(baseUrl)] : [];
        var (page, next) = Page(all, request, 20);
        return new ListCompetitionsResponse { Competitions = page, NextPageToken = next };
    }

    public ApiCompetition GetCompetition(RpcRequest request, Uri baseUrl)
    {
        RequireCompetition(request);
        return DescribeCompetition(baseUrl);
    }

    public ListDataFilesResponse ListDataFiles(RpcRequest request)
    {
        RequireCompetition(request);
        var files = Competition.DataFiles().Select(f => new ApiDataFile
        {
            Ref = f.Name,
            Name = f.Name,
            TotalBytes = f.Length,
            CreationDate = f.LastWriteTimeUtc,
        }).ToList();
        var (page, next) = Page(files, request, 200);
        return new ListDataFilesResponse { Files = page, NextPageToken = next };
    }

    /// <summary>A signed, expiring link to one data file (the download answers 302 to it, as Kaggle does).</summary>
    public Uri DataFileLink(RpcRequest request, Uri baseUrl)
    {
        RequireCompetition(request);
        var name = request.FileName ?? "";
        if (Competition.DataFiles().All(f => f.Name != name))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"data file '{name}' not found in {Competition.Name}; list them with ListDataFiles");
        }

        var expires = _time.GetUtcNow().Add(FileLinkLifetime).ToUnixTimeSeconds();
        var signature = Sign($"{name}\n{expires}");
        return new Uri(baseUrl, $"files/{Uri.EscapeDataString(Competition.Name)}/{Uri.EscapeDataString(name)}?expires={expires}&sig={signature}");
    }

    /// <summary>The data file a signed link points to, or null when the link is forged, expired or names no data file.</summary>
    public FileInfo? ResolveDataFileLink(string competition, string name, string? expires, string? signature)
    {
        if (competition != Competition.Name || expires is null || signature is null || !long.TryParse(expires, CultureInfo.InvariantCulture, out var until)
            || _time.GetUtcNow().ToUnixTimeSeconds() > until
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign($"{name}\n{until}")), Encoding.ASCII.GetBytes(signature)))
        {
            return null;
        }

        return Competition.DataFiles().FirstOrDefault(f => f.Name == name);
    }

    /// <summary>The name of the zip DownloadDataFiles serves: <c>&lt;competition&gt;.zip</c>, as Kaggle names it.</summary>
    public string DataArchiveName => Competition.Name + ".zip";

    /// <summary>A signed, expiring link to the zip of every data file (DownloadDataFiles answers 302 to it, as Kaggle does).</summary>
    public Uri DataArchiveLink(RpcRequest request, Uri baseUrl)
    {
        RequireCompetition(request);
        var expires = _time.GetUtcNow().Add(FileLinkLifetime).ToUnixTimeSeconds();
        var signature = Sign($"archive\n{DataArchiveName}\n{expires}");
        return new Uri(baseUrl, $"data/{Uri.EscapeDataString(DataArchiveName)}?expires={expires}&sig={signature}");
    }

    /// <summary>The data zip a signed link points to, or null when the link is forged, expired or names another archive.</summary>
    public async Task<FileInfo?> ResolveDataArchiveLinkAsync(string name, string? expires, string? signature, CancellationToken cancellationToken)
    {
        if (name != DataArchiveName || expires is null || signature is null || !long.TryParse(expires, CultureInfo.InvariantCulture, out var until)
            || _time.GetUtcNow().ToUnixTimeSeconds() > until
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign($"archive\n{name}\n{until}")), Encoding.ASCII.GetBytes(signature)))
        {
            return null;
        }

        return await DataArchiveAsync(cancellationToken);
    }

    /// <summary>
    /// The zip of every data file (never the solution, the config or <c>.leaderboard/</c>: exactly <see cref="CompetitionDefinition.DataFiles"/>).
    /// Built once per set of files (names, sizes, times) beside the upload storage and reused; a changed file makes a new one.
    /// </summary>
    public async Task<FileInfo> DataArchiveAsync(CancellationToken cancellationToken)
    {
        var files = Competition.DataFiles();
        var identity = string.Join('\n', files.Select(f => $"{f.Name}\t{f.Length}\t{f.LastWriteTimeUtc.Ticks}"));
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        var folder = Path.Combine(Path.GetDirectoryName(_blobs.Root) ?? _blobs.Root, "data-archive");
        var path = Path.Combine(folder, $"{Competition.Name}-{key}.zip");
        if (File.Exists(path))
        {
            return new FileInfo(path);
        }

        await _archiveLock.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path))
            {
                return new FileInfo(path);
            }

            Directory.CreateDirectory(folder);
            foreach (var stale in Directory.EnumerateFiles(folder))
            {
                File.Delete(stale);
            }

            await AtomicFile.WriteAsync(path, async (output, ct) =>
            {
                await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
                foreach (var file in files)
                {
                    var compressed = file.Name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || file.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);
                    var entry = zip.CreateEntry(file.Name, compressed ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
                    entry.LastWriteTime = file.LastWriteTimeUtc;
                    await using var target = await entry.OpenAsync(ct);
                    await using var source = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                    await source.CopyToAsync(target, ct);
                }
            }, overwrite: false, cancellationToken);
            return new FileInfo(path);
        }
        finally
        {
            _archiveLock.Release();
        }
    }

    // ---- submitting ----

    public async Task<StartSubmissionUploadResponse> StartUploadAsync(TeamRecord team, RpcRequest request, Uri baseUrl, CancellationToken cancellationToken)
    {
        RequireCompetition(request);
        RequireOpen();
        var fileName = SafeFileName(request.FileName);
        if (request.ContentLength <= 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, "contentLength must be the file's size in bytes (> 0)");
        }

        if (request.ContentLength > Competition.MaxUploadBytes)
        {
            throw BlobStore.TooLarge(Competition.MaxUploadBytes);
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var open = await _store.OpenUploadBytesAsync(Competition.Name, team.Name, now - Competition.UploadExpiry, cancellationToken);
        var quota = Competition.EffectiveUploadQuotaBytes;
        if (open + request.ContentLength > quota)
        {
            var error = new EsteiraException(ErrorCode.LimitExceeded,
                $"upload quota reached: team '{team.Name}' holds {Size(open)} in uploads not yet submitted and this file adds {Size(request.ContentLength)}, over the quota of {Size(quota)}; " +
                $"submit those uploads with CreateSubmission, or wait: an upload not submitted within {Competition.UploadExpiry.TotalMinutes:0} min is deleted");
            error.Data[LeaderboardApi.RetryAfterKey] = (int)Math.Ceiling(Competition.UploadExpiry.TotalSeconds);
            throw error;
        }

        var (token, tokenHash) = TeamSecrets.NewToken();
        await _store.CreateUploadAsync(Competition.Name,
            new UploadRecord(tokenHash, team.Name, fileName, request.ContentLength, _time.GetUtcNow().UtcDateTime, null, null), cancellationToken);
        return new StartSubmissionUploadResponse { Token = token, CreateUrl = new Uri(baseUrl, $"upload/{token}").AbsoluteUri };
    }

    /// <summary>Receives the bytes PUT to an upload URL. The token in the URL is the only credential, as with a signed storage URL.</summary>
    public async Task ReceiveUploadAsync(string token, Stream body, CancellationToken cancellationToken)
    {
        var upload = await _store.FindUploadAsync(Competition.Name, TeamSecrets.TokenHash(token), cancellationToken);
        if (upload is null || IsExpired(upload))
        {
            throw new EsteiraException(ErrorCode.NotFound,
                $"unknown or expired upload URL (an upload not submitted within {Competition.UploadExpiry.TotalMinutes:0} min is deleted); call StartSubmissionUpload again");
        }

        // Exactly one PUT per URL may be in flight; the others are told so at once instead of racing to record their file.
        if (!_receiving.TryAdd(upload.TokenHash, 0))
        {
            throw new EsteiraException(ErrorCode.Conflict, "another upload to this URL is in progress; only one may win, call StartSubmissionUpload again for a new one");
        }

        try
        {
            var (sha, size) = await _blobs.ReceiveAsync(body, Competition.MaxUploadBytes, upload.DeclaredLength, cancellationToken);

            // The store decides atomically (several servers may share it): the first file wins; the same bytes again are a harmless retry.
            if (!await _store.CompleteUploadAsync(Competition.Name, upload.TokenHash, sha, size, cancellationToken))
            {
                throw new EsteiraException(ErrorCode.Conflict, "this upload URL already holds a different file; call StartSubmissionUpload again for a new one");
            }
        }
        finally
        {
            _receiving.TryRemove(upload.TokenHash, out _);
        }
    }

    public async Task<CreateSubmissionResponse> CreateSubmissionAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        RequireCompetition(request);
        RequireOpen();
        var token = request.BlobFileTokens?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            throw new EsteiraException(ErrorCode.BadInput, "blobFileTokens is missing; pass the token StartSubmissionUpload returned");
        }

        var upload = await _store.FindUploadAsync(Competition.Name, TeamSecrets.TokenHash(token), cancellationToken);
        if (upload is null || upload.Team != team.Name)
        {
            throw new EsteiraException(ErrorCode.NotFound, "blobFileTokens is not an upload of this team; call StartSubmissionUpload first");
        }

        if (IsExpired(upload))
        {
            throw new EsteiraException(ErrorCode.NotFound,
                $"this upload expired: an upload not submitted within {Competition.UploadExpiry.TotalMinutes:0} min is deleted; upload the file again");
        }

        if (upload.ContentSha256 is null || upload.Size is null)
        {
            throw new EsteiraException(ErrorCode.BadInput, "the file was never uploaded; PUT its bytes to the createUrl before CreateSubmission");
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var (record, created) = await _store.CreateSubmissionAsync(Competition.Name,
            new NewLeaderboardSubmission(team.Name, upload.TokenHash, upload.FileName, upload.ContentSha256, upload.Size.Value, request.SubmissionDescription ?? "", now),
            Competition.DailyLimit, now.Date, cancellationToken);
        if (created)
        {
            _queue.Enqueue(record.Team, record.Ref);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("submission {Ref} from team {Team}: {File} ({Bytes} bytes)", record.Ref, team.Name, record.FileName, record.TotalBytes);
            }
        }

        return new CreateSubmissionResponse { Message = $"Successfully submitted to {Competition.Title}", Ref = record.Ref };
    }

    public async Task<ApiSubmission> GetSubmissionAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        var record = await _store.GetSubmissionAsync(Competition.Name, request.Ref, cancellationToken);

        // Another team's submission answers exactly like a missing one, so refs reveal nothing.
        return record is null || record.Team != team.Name
            ? throw new EsteiraException(ErrorCode.NotFound, $"submission {request.Ref} not found among team '{team.Name}''s submissions")
            : ToApi(record, Competition.IsRevealed(_time.GetUtcNow()));
    }

    public async Task<ListSubmissionsResponse> ListSubmissionsAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        RequireCompetition(request);
        var revealed = Competition.IsRevealed(_time.GetUtcNow());
        var mine = (await _store.ListSubmissionsAsync(Competition.Name, team.Name, cancellationToken)).Select(r => ToApi(r, revealed)).ToList();
        var (page, next) = Page(mine, request, DefaultPageSize);
        return new ListSubmissionsResponse { Submissions = page, NextPageToken = next };
    }

    public async Task<SubmissionLimitsResponse> GetLimitsAsync(TeamRecord team, RpcRequest request, CancellationToken cancellationToken)
    {
        RequireCompetition(request);
        var now = _time.GetUtcNow().UtcDateTime;
        var used = await _store.CountSinceAsync(Competition.Name, team.Name, now.Date, cancellationToken);
        var limit = Competition.DailyLimit;
        return new SubmissionLimitsResponse
        {
            DailyLimit = limit,
            TodayCount = used,
            RemainingToday = limit == 0 ? int.MaxValue : Math.Max(0, limit - used),
            ResetTime = now.Date.AddDays(1),
        };
    }

    // ---- leaderboard ----

    /// <summary>
    /// The ranking: the public board shows each team's best public score; once the private scores are revealed (and unless
    /// <c>overridePublic</c>), each team is ranked by the better private score of its two best-public submissions (Kaggle's
    /// automatic selection). Better is the metric's goal (<see cref="LeaderboardRanking"/>); ties go to the earlier submission.
    /// </summary>
    public async Task<GetLeaderboardResponse> GetLeaderboardAsync(RpcRequest request, CancellationToken cancellationToken)
    {
        RequireCompetition(request);
        var rows = await RankAsync(usePrivate: !request.OverridePublic && Competition.IsRevealed(_time.GetUtcNow()), cancellationToken);
        var (page, next) = Page(rows, request, DefaultPageSize);
        return new GetLeaderboardResponse { Submissions = page, NextPageToken = next };
    }

    /// <summary>The leaderboard as a zip holding one CSV, as DownloadLeaderboard serves it.</summary>
    public async Task<byte[]> LeaderboardZipAsync(RpcRequest request, CancellationToken cancellationToken)
    {
        RequireCompetition(request);
        var usePrivate = !request.OverridePublic && Competition.IsRevealed(_time.GetUtcNow());
        var rows = await RankAsync(usePrivate, cancellationToken);
        var csv = new StringBuilder("TeamId,TeamName,SubmissionDate,Score\n");
        foreach (var row in rows)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{row.TeamId},{row.TeamName},{row.SubmissionDate:yyyy-MM-dd HH:mm:ss},{row.Score}\n");
        }

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry($"{Competition.Name}-{(usePrivate ? "private" : "public")}leaderboard.csv", CompressionLevel.Fastest);
            await using var stream = await entry.OpenAsync(cancellationToken);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(csv.ToString()), cancellationToken);
        }

        return buffer.ToArray();
    }

    private async Task<List<ApiLeaderboardSubmission>> RankAsync(bool usePrivate, CancellationToken cancellationToken)
    {
        var complete = (await _store.ListSubmissionsAsync(Competition.Name, null, cancellationToken))
            .Where(s => s.Status == SubmissionStatus.Complete && s.PublicScore is not null)
            .ToList();
        var teamIds = _teams.ToDictionary(t => t.Name, t => t.Id, StringComparer.Ordinal);
        return LeaderboardRanking.Rank(complete, Competition.Metric, usePrivate)
            .Select(x => new ApiLeaderboardSubmission
            {
                TeamId = teamIds.GetValueOrDefault(x.Team),
                TeamName = x.Team,
                SubmissionDate = x.Submission.SubmittedUtc,
                Score = FormatScore(x.Score),
            })
            .ToList();
    }

    // ---- scoring ----

    /// <summary>Scores one submission now (the worker does this; tests may call it to avoid waiting).</summary>
    public async Task ScoreAsync(long submissionRef, CancellationToken cancellationToken)
    {
        var record = await _store.GetSubmissionAsync(Competition.Name, submissionRef, cancellationToken);
        if (record is null || record.Status != SubmissionStatus.Pending)
        {
            return;
        }

        var started = _time.GetTimestamp();
        var path = _blobs.PathOf(record.ContentSha256);
        if (!File.Exists(path))
        {
            await _store.FailSubmissionAsync(Competition.Name, record.Ref, "the uploaded file is missing on the server; submit it again", counts: false, cancellationToken);
            return;
        }

        if (BeforeScoring is { } hook)
        {
            await hook(record, cancellationToken);
        }

        var check = SubmissionScorer.Check(path, Solution, ScoringLimits.For(Solution.Count, Competition.ScoringTimeout), cancellationToken);
        if (check.Error is { } error)
        {
            await _store.FailSubmissionAsync(Competition.Name, record.Ref, error.ToString(), Competition.CountFormatErrors, cancellationToken);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("submission {Ref} of team {Team}: ERROR {Error}", record.Ref, record.Team, error);
            }

            return;
        }

        await _store.CompleteSubmissionAsync(Competition.Name, record.Ref, check.PublicScore, check.PrivateScore, cancellationToken);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("submission {Ref} of team {Team}: {Rows} rows scored in {Seconds:0.00} s", record.Ref, record.Team, check.Rows,
                _time.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task ScoreLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var (team, submissionRef) = await _queue.DequeueAsync(cancellationToken);
                try
                {
                    await ScoreAsync(submissionRef, cancellationToken);
                    Scored?.Invoke(submissionRef);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "scoring submission {Ref} failed", submissionRef);
                    await _store.FailSubmissionAsync(Competition.Name, submissionRef,
                        $"the server could not score this file ({e.GetType().Name}); it does not count, submit it again", counts: false, CancellationToken.None);
                    Scored?.Invoke(submissionRef);
                }
                finally
                {
                    _queue.Done(team);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: submissions still queued, or cut off while being scored, stay PENDING and are scored at the next start.
        }
    }

    /// <summary>
    /// Deletes upload slots older than <see cref="CompetitionDefinition.UploadExpiry"/> that no submission uses, and the files
    /// only they held. The sweeper runs this every few minutes; returns how many files were deleted.
    /// </summary>
    public async Task<int> SweepExpiredUploadsAsync(CancellationToken cancellationToken)
    {
        var orphans = await _store.DeleteExpiredUploadsAsync(Competition.Name, _time.GetUtcNow().UtcDateTime - Competition.UploadExpiry, cancellationToken);
        var deleted = 0;
        foreach (var sha in orphans)
        {
            if (_blobs.Delete(sha))
            {
                deleted++;
            }
        }

        if (deleted > 0 && _logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("deleted {Count} uploaded files never submitted within {Minutes:0} min", deleted, Competition.UploadExpiry.TotalMinutes);
        }

        return deleted;
    }

    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(Competition.UploadExpiry.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute * 5));
        try
        {
            while (true)
            {
                await Task.Delay(period, cancellationToken);
                try
                {
                    await SweepExpiredUploadsAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "deleting expired uploads failed; trying again in {Period}", period);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        BeginStop();
        var all = _workers.Append(_sweeper ?? Task.CompletedTask).ToArray();
        try
        {
            // Scoring watches the token every few thousand lines, so this is quick; a stuck worker is left behind rather than
            // holding up the stop (its submission stays PENDING).
            await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(3));
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("a scoring worker did not stop within 3 s; its submission stays PENDING for the next start");
        }

        _stopping.Dispose();
        _archiveLock.Dispose();
        _queue.Dispose();
    }

    // ---- helpers ----

    private ApiSubmission ToApi(SubmissionRecord record, bool revealed) => new()
    {
        Ref = record.Ref,
        TotalBytes = record.TotalBytes,
        Date = record.SubmittedUtc,
        Description = record.Description,
        ErrorDescription = record.ErrorDescription,
        FileName = record.FileName,
        PublicScore = record.Status == SubmissionStatus.Complete ? FormatScore(record.PublicScore) : null,
        PrivateScore = record.Status == SubmissionStatus.Complete && revealed ? FormatScore(record.PrivateScore) : null,
        Status = SubmissionStatusWire.ToWire(record.Status),
        SubmittedBy = record.Team,
        SubmittedByRef = record.Team,
        TeamName = record.Team,
    };

    /// <summary>Scores go over the wire as strings with five decimals, as Kaggle shows them.</summary>
    public static string? FormatScore(double? score) => score?.ToString("F5", CultureInfo.InvariantCulture);

    private bool IsExpired(UploadRecord upload) => _time.GetUtcNow().UtcDateTime - upload.CreatedUtc > Competition.UploadExpiry;

    private static string Size(long bytes) => bytes >= 1 << 20
        ? (bytes / (double)(1 << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB"
        : (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KiB";

    private void RequireCompetition(RpcRequest request)
    {
        var name = request.CompetitionName?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"competitionName is missing; this server hosts '{Competition.Name}'");
        }

        if (!name.Equals(Competition.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"competition '{name}' not found; this server hosts '{Competition.Name}'");
        }
    }

    private void RequireOpen()
    {
        if (Competition.IsClosed(_time.GetUtcNow()))
        {
            throw new EsteiraException(ErrorCode.Forbidden, $"{Competition.Name} closed at {Competition.Deadline:yyyy-MM-dd HH:mm} UTC; submissions are no longer accepted");
        }
    }

    internal static string SafeFileName(string? name)
    {
        var value = name?.Trim() ?? "";
        if (value.Length is 0 or > 255 || value is "." or ".." || value.Contains('/', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal)
            || value.Contains("..", StringComparison.Ordinal) || value.Any(char.IsControl) || value.Contains(':', StringComparison.Ordinal))
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"fileName '{new string(value.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray())}' must be a plain file name (no folders, no '..', no ':'), e.g. submission.csv.gz");
        }

        return value;
    }

    private static (List<T> Page, string Next) Page<T>(List<T> all, RpcRequest request, int defaultSize)
    {
        var size = request.PageSize <= 0 ? defaultSize : Math.Min(request.PageSize, MaxPageSize);
        // A pageToken is our offset; without one, the old 1-based page number counts pages of this size. A page past the
        // end is empty, so a script that pages until nothing comes back stops.
        var offset = int.TryParse(request.PageToken, NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o
            : request.Page > 1 ? (int)Math.Min(int.MaxValue, (request.Page - 1L) * size)
            : 0;
        var page = all.Skip(offset).Take(size).ToList();
        var next = offset + size < all.Count ? (offset + size).ToString(CultureInfo.InvariantCulture) : "";
        return (page, next);
    }

    private string Sign(string value) => Convert.ToHexStringLower(HMACSHA256.HashData(_linkKey, Encoding.UTF8.GetBytes(value)));
}
