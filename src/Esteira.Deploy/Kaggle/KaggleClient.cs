using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Esteira.Deploy.Kaggle;

/// <summary>Settings of a <see cref="KaggleClient"/>; everything but the endpoint and the credential has a default.</summary>
public sealed class KaggleClientOptions
{
    /// <summary>The RPC base ending in <c>/v1</c>; see <see cref="KaggleEndpoint.Resolve"/>.</summary>
    public required Uri ApiBase { get; init; }

    /// <summary>The credential every RPC call authenticates with.</summary>
    public required KaggleCredentials Credentials { get; init; }

    /// <summary>How the service is named in messages ("Kaggle", "leaderboard at http://…").</summary>
    public string ServiceName { get; init; } = "Kaggle";

    /// <summary>When and how long to retry failed calls.</summary>
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>How the client waits between retries and polls; tests pass a fast or recording one.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = static (d, ct) => Task.Delay(d, ct);

    /// <summary>A random number in [0, 1) for backoff jitter.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>The clock for retry waits and the score timeout; tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>First wait between status polls; each later wait is 1.5× longer, up to <see cref="MaxPollInterval"/>.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between status polls.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for a score before giving up (the submission itself stays).</summary>
    public TimeSpan ScoreTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Time limit of one RPC call (uploads and downloads have none besides the caller's token).</summary>
    public TimeSpan RpcTimeout { get; init; } = TimeSpan.FromSeconds(100);
}

/// <summary>
/// A client for the Kaggle competitions RPC API (<c>POST …/v1/competitions.CompetitionApiService/&lt;Method&gt;</c>),
/// which both kaggle.com and our leaderboard server speak. Every failure becomes an <see cref="EsteiraException"/> whose
/// message carries the server's own text (never a credential); 401/403 map to Unauthorized/Forbidden, the rest to
/// ExternalService, all of which exit 3.
/// </summary>
/// <remarks>Thread-safe: one instance may serve concurrent calls.</remarks>
public sealed class KaggleClient : IDisposable
{
    private const string Service = "competitions.CompetitionApiService";
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly KaggleClientOptions _options;

    /// <summary>A client with <paramref name="options"/>; when <paramref name="http"/> is null it makes (and later disposes) its own.</summary>
    public KaggleClient(KaggleClientOptions options, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ownsHttp = http is null;
        _http = http ?? CreateHttpClient();
    }

    /// <summary>The settings this client was made with.</summary>
    public KaggleClientOptions Options => _options;

    /// <summary>An HttpClient suited to the API: redirects followed (downloads answer 302), no global timeout.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = true,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Disposes the HttpClient when the client made it itself; a given one is left to its owner.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    // ---- competitions and data ----

    /// <summary>Competitions matching <paramref name="search"/> (all when null), reading at most 20 pages.</summary>
    public async Task<IReadOnlyList<ApiCompetition>> ListCompetitionsAsync(string? search = null, CancellationToken cancellationToken = default)
    {
        var all = new List<ApiCompetition>();
        string? token = null;
        for (var page = 0; page < 20; page++)
        {
            var response = await RpcAsync<ListCompetitionsResponse>("ListCompetitions", new
            {
                group = "COMPETITION_LIST_TAB_EVERYTHING",
                category = "HOST_SEGMENT_UNSPECIFIED",
                sortBy = "COMPETITION_SORT_BY_BEST",
                search = search ?? "",
                pageToken = token,
            }, cancellationToken);
            all.AddRange(response.Competitions);
            token = response.NextPageToken;
            if (string.IsNullOrEmpty(token))
            {
                break;
            }
        }

        return all;
    }

    /// <summary>One competition by its slug.</summary>
    public Task<ApiCompetition> GetCompetitionAsync(string competition, CancellationToken cancellationToken = default) =>
        RpcAsync<ApiCompetition>("GetCompetition", new { competitionName = competition }, cancellationToken);

    /// <summary>The competition's data files, reading at most 100 pages.</summary>
    public async Task<IReadOnlyList<ApiDataFile>> ListDataFilesAsync(string competition, CancellationToken cancellationToken = default)
    {
        var all = new List<ApiDataFile>();
        string? token = null;
        for (var page = 0; page < 100; page++)
        {
            var response = await RpcAsync<ListDataFilesResponse>("ListDataFiles",
                new { competitionName = competition, pageSize = 200, pageToken = token }, cancellationToken);
            all.AddRange(response.Files);
            token = response.NextPageToken;
            if (string.IsNullOrEmpty(token))
            {
                break;
            }
        }

        return all;
    }

    /// <summary>
    /// Downloads one data file into <paramref name="targetDir"/> (written to a temporary name, then renamed) and returns its
    /// path. Kaggle serves large files zipped (<c>train.csv.zip</c>); such a one-entry zip is unpacked to the requested name.
    /// </summary>
    public async Task<string> DownloadDataFileAsync(string competition, string fileName, string targetDir, CancellationToken cancellationToken = default)
    {
        var safeName = SafeFileName(fileName, "data file name");
        Directory.CreateDirectory(targetDir);
        var target = Path.Combine(targetDir, safeName);
        var temp = target + $".part-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using var response = await SendAsync("DownloadDataFile", () => RpcRequest("DownloadDataFile", new { competitionName = competition, fileName = safeName }),
                HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await EnsureSuccessAsync(response, "DownloadDataFile", cancellationToken);
            var expected = response.Content.Headers.ContentLength;
            long written;
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await using var input = await response.Content.ReadAsStreamAsync(cancellationToken);
                await input.CopyToAsync(output, 1 << 16, cancellationToken);
                written = output.Length;
            }

            if (expected is { } length && length != written)
            {
                throw new EsteiraException(ErrorCode.ExternalService,
                    $"{_options.ServiceName} DownloadDataFile: {safeName} was cut short ({written} of {length} bytes); download it again");
            }

            var finalName = response.RequestMessage?.RequestUri is { } finalUri ? Uri.UnescapeDataString(finalUri.Segments[^1]) : safeName;
            if (finalName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) && !safeName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                UnzipSingle(temp, target);
            }
            else
            {
                File.Move(temp, target, overwrite: true);
            }

            return target;
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Downloads every data file of the competition into <paramref name="targetDir"/>; returns their paths.</summary>
    public async Task<IReadOnlyList<string>> DownloadCompetitionFilesAsync(string competition, string targetDir, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var files = await ListDataFilesAsync(competition, cancellationToken);
        var paths = new List<string>(files.Count);
        foreach (var file in files)
        {
            var name = file.Name ?? file.Ref ?? "";
            progress?.Report(name);
            paths.Add(await DownloadDataFileAsync(competition, name, targetDir, cancellationToken));
        }

        return paths;
    }

    // ---- submissions ----

    /// <summary>All my submissions to the competition, newest first.</summary>
    public async Task<IReadOnlyList<ApiSubmission>> ListSubmissionsAsync(string competition, int maxPages = 20, CancellationToken cancellationToken = default)
    {
        var all = new List<ApiSubmission>();
        string? token = null;
        for (var page = 0; page < maxPages; page++)
        {
            var response = await RpcAsync<ListSubmissionsResponse>("ListSubmissions",
                new { competitionName = competition, page = -1, pageSize = 50, pageToken = token }, cancellationToken);
            all.AddRange(response.Submissions);
            token = response.NextPageToken;
            if (string.IsNullOrEmpty(token))
            {
                break;
            }
        }

        return all;
    }

    /// <summary>One submission by its reference number.</summary>
    public Task<ApiSubmission> GetSubmissionAsync(long submissionRef, CancellationToken cancellationToken = default) =>
        RpcAsync<ApiSubmission>("GetSubmission", new { @ref = submissionRef }, cancellationToken);

    /// <summary>The competition's leaderboard, 200 entries a page and at most 100 pages; <paramref name="overridePublic"/> is passed to the server as is.</summary>
    public async Task<IReadOnlyList<ApiLeaderboardSubmission>> GetLeaderboardAsync(string competition, bool overridePublic = false,
        CancellationToken cancellationToken = default)
    {
        var all = new List<ApiLeaderboardSubmission>();
        string? token = null;
        for (var page = 0; page < 100; page++)
        {
            var response = await RpcAsync<GetLeaderboardResponse>("GetLeaderboard",
                new { competitionName = competition, overridePublic, pageSize = 200, pageToken = token }, cancellationToken);
            all.AddRange(response.Submissions);
            token = response.NextPageToken;
            if (string.IsNullOrEmpty(token))
            {
                break;
            }
        }

        return all;
    }

    /// <summary>Today's limit and use, when the server tells (ours does; Kaggle's newer servers may); null otherwise.</summary>
    public async Task<SubmissionLimitsResponse?> GetSubmissionLimitsAsync(string competition, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync("GetSubmissionLimits",
            () => RpcRequest("GetSubmissionLimits", new { competitionName = competition }), HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.NotImplemented or HttpStatusCode.BadRequest)
        {
            return null;
        }

        await EnsureSuccessAsync(response, "GetSubmissionLimits", cancellationToken);
        return await ReadJsonAsync<SubmissionLimitsResponse>(response, "GetSubmissionLimits", cancellationToken);
    }

    /// <summary>
    /// The whole submission: StartSubmissionUpload → PUT of the bytes → CreateSubmission → confirmation that the new
    /// submission is in ListSubmissions (the stock CLI once reported success for a refused one) → polling until COMPLETE or
    /// ERROR. Returns the final submission; an ERROR one is returned, not thrown.
    /// </summary>
    public async Task<ApiSubmission> SubmitAsync(string competition, string filePath, string message, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var submissionRef = await UploadAndCreateAsync(competition, filePath, message, progress, cancellationToken);
        progress?.Report($"waiting for the score of submission {submissionRef}");
        return await WaitForScoreAsync(submissionRef, cancellationToken);
    }

    /// <summary>The first three steps of <see cref="SubmitAsync"/> plus the confirmation; returns the confirmed ref.</summary>
    public async Task<long> UploadAndCreateAsync(string competition, string filePath, string message, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(filePath);
        if (!info.Exists)
        {
            throw new EsteiraException(ErrorCode.NotFound, $"{filePath}: no such file; pass the submission file with --file");
        }

        var started = _options.Time.GetUtcNow();
        progress?.Report($"asking {_options.ServiceName} for an upload slot");
        var slot = await RpcAsync<StartSubmissionUploadResponse>("StartSubmissionUpload", new
        {
            competitionName = competition,
            contentLength = info.Length,
            lastModifiedEpochSeconds = new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeSeconds(),
            fileName = info.Name,
        }, cancellationToken);
        if (string.IsNullOrEmpty(slot.Token) || string.IsNullOrEmpty(slot.CreateUrl))
        {
            throw new EsteiraException(ErrorCode.ExternalService, $"{_options.ServiceName} StartSubmissionUpload: the answer has no token or createUrl; nothing was submitted");
        }

        progress?.Report($"uploading {info.Name} ({info.Length:N0} bytes)");
        await UploadAsync(new Uri(_options.ApiBase, slot.CreateUrl), info, cancellationToken);

        progress?.Report("creating the submission");
        var created = await RpcAsync<CreateSubmissionResponse>("CreateSubmission", new
        {
            competitionName = competition,
            blobFileTokens = slot.Token,
            submissionDescription = message,
        }, cancellationToken);

        return await ConfirmAsync(competition, created, info.Name, message, started, cancellationToken);
    }

    /// <summary>Polls GetSubmission until the submission leaves PENDING or <see cref="KaggleClientOptions.ScoreTimeout"/> passes.</summary>
    public async Task<ApiSubmission> WaitForScoreAsync(long submissionRef, CancellationToken cancellationToken = default)
    {
        var deadline = _options.Time.GetUtcNow() + _options.ScoreTimeout;
        var wait = _options.PollInterval;
        while (true)
        {
            var submission = await GetSubmissionAsync(submissionRef, cancellationToken);
            if (submission.State != SubmissionStatus.Pending)
            {
                return submission;
            }

            if (_options.Time.GetUtcNow() >= deadline)
            {
                throw new EsteiraException(ErrorCode.ExternalService,
                    $"{_options.ServiceName}: submission {submissionRef} is still PENDING after {_options.ScoreTimeout.TotalMinutes:0} min; it stays queued, check it later with 'esteira submissions list'");
            }

            await _options.Delay(wait, cancellationToken);
            wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 1.5, _options.MaxPollInterval.TotalMilliseconds));
        }
    }

    private async Task<long> ConfirmAsync(string competition, CreateSubmissionResponse created, string fileName, string message, DateTimeOffset started,
        CancellationToken cancellationToken)
    {
        var mine = await ListSubmissionsAsync(competition, maxPages: 3, cancellationToken);
        ApiSubmission? found = created.Ref != 0
            ? mine.FirstOrDefault(s => s.Ref == created.Ref)
            : mine.Where(s => s.FileName == fileName && (s.Description ?? "") == message && (s.Date is null || s.Date >= started.UtcDateTime.AddMinutes(-10)))
                .OrderByDescending(s => s.Date).FirstOrDefault();
        return found?.Ref ?? throw new EsteiraException(ErrorCode.ExternalService,
            $"{_options.ServiceName} answered '{Scrub(created.Message) ?? "(no message)"}' but the new submission{(created.Ref != 0 ? $" {created.Ref}" : "")} is not in ListSubmissions, so it was not recorded; check today's limit with 'esteira submissions list' before trying again");
    }

    private async Task UploadAsync(Uri createUrl, FileInfo file, CancellationToken cancellationToken)
    {
        // The upload URL is pre-authorised: it gets no Authorization header, as with the official CLI.
        using var response = await SendAsync("upload", () => new HttpRequestMessage(HttpMethod.Put, createUrl)
        {
            Content = new StreamContent(new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), 1 << 16),
        }, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
        {
            await EnsureSuccessAsync(response, $"upload of {file.Name}", cancellationToken);
            throw new EsteiraException(ErrorCode.ExternalService, $"{_options.ServiceName} upload of {file.Name}: unexpected HTTP {(int)response.StatusCode}; nothing was submitted");
        }
    }

    // ---- transport ----

    private async Task<T> RpcAsync<T>(string method, object body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, () => RpcRequest(method, body), HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, method, cancellationToken);
        return await ReadJsonAsync<T>(response, method, cancellationToken);
    }

    private HttpRequestMessage RpcRequest(string method, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{_options.ApiBase.AbsoluteUri.TrimEnd('/')}/{Service}/{method}"))
        {
            Content = JsonContent.Create(body, options: KaggleJson.Options),
        };
        request.Headers.Authorization = _options.Credentials.ToHeader();
        return request;
    }

    /// <summary>Sends with retries on 429, 5xx and connection failures; returns the last response, whatever its status.</summary>
    private async Task<HttpResponseMessage> SendAsync(string what, Func<HttpRequestMessage> makeRequest, HttpCompletionOption completion,
        CancellationToken cancellationToken)
    {
        var policy = _options.Retry;
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? response = null;
            using var request = makeRequest();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (request.Method == HttpMethod.Post && what != "DownloadDataFile")
            {
                timeout.CancelAfter(_options.RpcTimeout);
            }

            try
            {
                response = await _http.SendAsync(request, completion, timeout.Token);
            }
            catch (HttpRequestException) when (attempt < policy.MaxAttempts)
            {
                // A connection-level failure: worth another try after the backoff below.
            }
            catch (HttpRequestException e)
            {
                throw new EsteiraException(ErrorCode.ExternalService,
                    $"{_options.ServiceName} {what}: cannot reach {_options.ApiBase.GetLeftPart(UriPartial.Authority)} ({e.Message}); check the URL and the network, then retry", e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt >= policy.MaxAttempts)
                {
                    throw new EsteiraException(ErrorCode.ExternalService,
                        $"{_options.ServiceName} {what}: no answer within {_options.RpcTimeout.TotalSeconds:0} s after {attempt} tries; retry later", e);
                }
            }

            if (response is not null)
            {
                if (!RetryPolicy.IsTransient(response.StatusCode) || attempt >= policy.MaxAttempts)
                {
                    return response;
                }

                var hint = RetryPolicy.RetryAfter(response.Headers, _options.Time.GetUtcNow());
                if (hint > policy.MaxRetryAfter)
                {
                    return response;
                }

                response.Dispose();
                await _options.Delay(policy.DelayFor(attempt, hint, _options.Jitter()), cancellationToken);
                continue;
            }

            await _options.Delay(policy.DelayFor(attempt, null, _options.Jitter()), cancellationToken);
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string? serverMessage = null;
        var isJson = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
        if (status < 400 && !isJson)
        {
            return;
        }

        if (isJson)
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            try
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                var root = json.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    var body = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object ? error : root;
                    if (body.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var c) && c >= 400 && status < 400)
                    {
                        status = c; // kagglesdk treats a body code ≥ 400 as an error even under HTTP 200
                    }

                    if (body.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    {
                        serverMessage = message.GetString();
                    }
                }
            }
            catch (JsonException)
            {
                // A non-JSON body under a JSON content type: fall back to the status line.
            }
        }

        if (status < 400)
        {
            return;
        }

        var text = Scrub(serverMessage) ?? response.ReasonPhrase ?? "no message";
        var code2 = status switch
        {
            401 => ErrorCode.Unauthorized,
            403 => ErrorCode.Forbidden,
            _ => ErrorCode.ExternalService,
        };
        var remedy = status switch
        {
            401 => $"; check the credential ({_options.Credentials})",
            429 when RetryPolicy.RetryAfter(response.Headers, _options.Time.GetUtcNow()) is { } wait => $"; retry after {Math.Ceiling(wait.TotalMinutes):0} min",
            429 => "; retry later",
            >= 500 => "; the service failed, retry later",
            _ => "",
        };
        throw new EsteiraException(code2, $"{_options.ServiceName} {what}: {text.ReplaceLineEndings(" ")} (HTTP {status}){remedy}");
    }

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, string method, CancellationToken cancellationToken)
    {
        try
        {
            var value = await response.Content.ReadFromJsonAsync<T>(KaggleJson.Options, cancellationToken);
            return value ?? throw new JsonException("empty body");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or FormatException)
        {
            throw new EsteiraException(ErrorCode.ExternalService,
                $"{_options.ServiceName} {method}: the answer is not the expected JSON ({e.Message}); is {_options.ApiBase} a Kaggle-compatible server?", e);
        }
    }

    private string? Scrub(string? text) => text is null ? null : _options.Credentials.Scrub(text);

    private static string SafeFileName(string name, string what)
    {
        if (string.IsNullOrWhiteSpace(name) || name != Path.GetFileName(name) || name is "." or ".." || name.Contains('\\', StringComparison.Ordinal) || name.Any(char.IsControl))
        {
            throw new EsteiraException(ErrorCode.ExternalService, $"{what} '{name}' is not a plain file name; refusing to write outside the target folder");
        }

        return name;
    }

    private static void UnzipSingle(string zipPath, string target)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        var entries = zip.Entries.Where(e => e.Length > 0 || !e.FullName.EndsWith('/')).ToList();
        if (entries.Count != 1)
        {
            File.Move(zipPath, target + ".zip", overwrite: true);
            return;
        }

        AtomicFile.WriteFile(target, temp => entries[0].ExtractToFile(temp));
    }
}
