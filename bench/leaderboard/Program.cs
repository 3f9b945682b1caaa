using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Esteira.Deploy.Kaggle;
using Esteira.Deploy.Submissions;
using Esteira.Leaderboard;

// Usage:
//   dotnet run --project bench/leaderboard -c Release -- score [--data DIR] [--work DIR] [--rows N] [--id-prefix P]
//   dotnet run --project bench/leaderboard -c Release -- load  [--competition DIR] [--clients 20] [--seconds 60] [--work DIR]
// "score" times solution loading and scoring of a 41.7M-row submission (csv and gz), directly and through the server.
// "load" runs N clients that submit and poll concurrently against the server on loopback, then audits the state.

var mode = args.FirstOrDefault() ?? "score";
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var work = Arg("--work", Path.Combine(Path.GetTempPath(), "esteira-bench-leaderboard"));
Directory.CreateDirectory(work);
return mode switch
{
    "score" => await ScoreBench.RunAsync(Arg("--data", "/tmp/esteira-bench-data"), work, int.Parse(Arg("--rows", "41697600"), CultureInfo.InvariantCulture),
        Arg("--id-prefix", "")),
    "load" => await LoadBench.RunAsync(Arg("--competition", FindSample()), int.Parse(Arg("--clients", "20"), CultureInfo.InvariantCulture),
        int.Parse(Arg("--seconds", "60"), CultureInfo.InvariantCulture), work),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: score [--data DIR] [--work DIR] [--rows N] [--id-prefix P] | load [--competition DIR] [--clients N] [--seconds S] [--work DIR]");
    return 2;
}

static string FindSample()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "samples", "bdg2-electricity-2016");
        if (Directory.Exists(candidate))
        {
            return candidate;
        }
    }

    throw new DirectoryNotFoundException("samples/bdg2-electricity-2016 not found; pass --competition DIR");
}

internal static class ScoreBench
{
    private const int FullRows = 41_697_600;

    public static async Task<int> RunAsync(string data, string work, int rows, string idPrefix)
    {
        // --id-prefix P: string ids P0, P1, … (the dictionary path of a tabular competition) instead of row_id integers.
        // --rows below the full size: a synthetic solution of that many rows (a quick regression check).
        var competition = Path.Combine(work, rows == FullRows && idPrefix.Length == 0 ? "full-scale" : $"rows-{rows}{idPrefix}");
        Directory.CreateDirectory(competition);
        var solution = Path.Combine(competition, "solution.csv");
        if (!File.Exists(solution))
        {
            var source = Path.Combine(data, "solution.csv");
            if (rows == FullRows && idPrefix.Length == 0 && File.Exists(source))
            {
                File.CreateSymbolicLink(solution, source);
                File.CreateSymbolicLink(Path.Combine(competition, "sample_submission.csv"), Path.Combine(data, "sample_submission.csv"));
            }
            else
            {
                Console.WriteLine($"no {source} or --rows: generating a synthetic {rows:N0}-row solution");
                GenerateSolution(solution, rows, idPrefix);
            }
        }

        File.WriteAllText(Path.Combine(competition, "competition.yaml"), "daily_limit: 0\nmax_upload_mb: 4096\n");

        var sw = Stopwatch.StartNew();
        var reference = ReferenceRows.LoadSolution(solution, Esteira.EvalMetric.Rmsle);
        Console.WriteLine($"solution load: {reference.Count:N0} rows in {sw.Elapsed.TotalSeconds:0.00} s (public {reference.PublicCount:N0}, private {reference.PrivateCount:N0}); managed heap {GC.GetTotalMemory(true) >> 20} MiB");

        var csv = Path.Combine(work, rows == FullRows && idPrefix.Length == 0 ? "submission-41m.csv" : $"submission-{rows}{idPrefix}.csv");
        var gz = csv + ".gz";
        if (!File.Exists(gz))
        {
            sw.Restart();
            WriteSubmission(solution, csv, gz);
            Console.WriteLine($"wrote the submissions in {sw.Elapsed.TotalSeconds:0.0} s: csv {new FileInfo(csv).Length >> 20} MiB, gz {new FileInfo(gz).Length >> 20} MiB");
        }

        foreach (var path in new[] { csv, gz, csv, gz })
        {
            sw.Restart();
            var check = SubmissionScorer.Check(path, reference);
            Console.WriteLine($"score {Path.GetFileName(path),-22} {check.Rows:N0} rows in {sw.Elapsed.TotalSeconds:0.00} s: public {check.PublicScore:0.00000} private {check.PrivateScore:0.00000} {check.Error}");
        }

        Console.WriteLine($"managed heap after scoring {GC.GetTotalMemory(false) >> 20} MiB, peak working set {Environment.WorkingSet >> 20} MiB now / {Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB peak");

        reference = null;
        GC.Collect();

        // Through the server: upload + CreateSubmission + asynchronous scoring, timed from the client.
        await using var server = await LeaderboardServer.StartAsync(new LeaderboardServerOptions
        {
            CompetitionDir = competition,
            Teams = [TeamKey.Parse("bench:bench-key")],
            Urls = "http://127.0.0.1:0",
            State = $"sqlite:{Path.Combine(work, $"state-{Guid.NewGuid():N}.db")}",
            Storage = Path.Combine(work, "uploads"),
            ConfigureLogging = _ => { },
        });
        Console.WriteLine($"server: solution loaded in {server.SolutionLoadTime.TotalSeconds:0.00} s");
        using var client = new KaggleClient(new KaggleClientOptions
        {
            ApiBase = KaggleEndpoint.FromServer(server.Addresses[0].ToString()),
            Credentials = KaggleCredentials.ApiKey("bench", "bench-key", "bench"),
            PollInterval = TimeSpan.FromMilliseconds(100),
            MaxPollInterval = TimeSpan.FromMilliseconds(100),
        });
        foreach (var path in new[] { gz, csv })
        {
            sw.Restart();
            var submissionRef = await client.UploadAndCreateAsync(server.CompetitionName, path, "bench");
            var created = sw.Elapsed;
            var done = await client.WaitForScoreAsync(submissionRef);
            Console.WriteLine($"server {Path.GetFileName(path),-22} upload+create {created.TotalSeconds:0.00} s, scored after {(sw.Elapsed - created).TotalSeconds:0.00} s more: {done.Status} public {done.PublicScore}");
        }

        return 0;
    }

    private static void WriteSubmission(string solution, string csv, string gz)
    {
        using var reader = new StreamReader(solution, Encoding.UTF8, false, 1 << 20);
        using var plain = new StreamWriter(csv, false, new UTF8Encoding(false), 1 << 20);
        using var zipped = new StreamWriter(new GZipStream(File.Create(gz), CompressionLevel.Fastest), new UTF8Encoding(false), 1 << 20);
        reader.ReadLine();
        plain.Write("row_id,meter_reading\n");
        zipped.Write("row_id,meter_reading\n");
        var line = string.Empty;
        var i = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            var parts = line.Split(',');
            var value = double.Parse(parts[1], CultureInfo.InvariantCulture) * (0.8 + (0.4 * ((i++ % 97) / 97.0)));
            var row = $"{parts[0]},{Math.Round(value, 4).ToString(CultureInfo.InvariantCulture)}\n";
            plain.Write(row);
            zipped.Write(row);
        }
    }

    private static void GenerateSolution(string path, int rows, string idPrefix)
    {
        var random = new Random(42);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.Write("row_id,meter_reading,Usage\n");
        for (var i = 0; i < rows; i++)
        {
            writer.Write($"{idPrefix}{i},{Math.Round(random.NextDouble() * 300, 4).ToString(CultureInfo.InvariantCulture)},{(i < rows / 2 ? "Public" : "Private")}\n");
        }

        using var sample = new StreamWriter(Path.Combine(Path.GetDirectoryName(path)!, "sample_submission.csv"));
        sample.Write("row_id,meter_reading\n");
        for (var i = 0; i < rows; i++)
        {
            sample.Write($"{idPrefix}{i},0\n");
        }
    }
}

internal static class LoadBench
{
    public static async Task<int> RunAsync(string competitionDir, int clients, int seconds, string work)
    {
        var dir = Path.Combine(work, "load-" + Guid.NewGuid().ToString("N")[..8], Path.GetFileName(competitionDir.TrimEnd('/')));
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(competitionDir))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(dir, "competition.yaml"), "daily_limit: 0\n");
        var teams = Enumerable.Range(0, clients).Select(i => $"team{i / 2}").Distinct().ToList();
        await using var server = await LeaderboardServer.StartAsync(new LeaderboardServerOptions
        {
            CompetitionDir = dir,
            Teams = teams.Select(t => new TeamKey(t, t + "-key")).ToList(),
            Urls = "http://127.0.0.1:0",
            ConfigureLogging = _ => { },
        });
        var competition = server.CompetitionName;
        var baseUri = server.Addresses[0];

        // Two submission files per client so that consecutive files differ (the server does not care; the audit does).
        var sample = Directory.GetFiles(dir, "solution.csv*").First();
        var files = new List<string>();
        for (var v = 0; v < 2; v++)
        {
            var path = Path.Combine(work, $"load-sub-{v}.csv.gz");
            using (var reader = new StreamReader(new GZipStream(File.OpenRead(sample), CompressionMode.Decompress)))
            using (var writer = new StreamWriter(new GZipStream(File.Create(path), CompressionLevel.Fastest)))
            {
                reader.ReadLine();
                writer.Write("row_id,meter_reading\n");
                while (reader.ReadLine() is { } line)
                {
                    var parts = line.Split(',');
                    writer.Write($"{parts[0]},{(double.Parse(parts[1], CultureInfo.InvariantCulture) * (1 + (0.1 * v))).ToString(CultureInfo.InvariantCulture)}\n");
                }
            }

            files.Add(path);
        }

        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        var created = new ConcurrentDictionary<long, string>();
        var errors = new ConcurrentBag<string>();
        var scoringWaits = new ConcurrentBag<double>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var started = Stopwatch.StartNew();

        async Task ClientAsync(int index)
        {
            var team = $"team{index / 2}";
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{team}:{team}-key")));
            var iteration = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var file = files[iteration++ % files.Count];
                    var length = new FileInfo(file).Length;
                    var slot = await TimedAsync<StartSubmissionUploadResponse>("StartSubmissionUpload",
                        new { competitionName = competition, fileName = Path.GetFileName(file), contentLength = length });
                    var t = Stopwatch.StartNew();
                    using (var put = await http.PutAsync(slot.CreateUrl, new StreamContent(File.OpenRead(file))))
                    {
                        put.EnsureSuccessStatusCode();
                    }

                    Record("PUT upload", t);
                    var create = await TimedAsync<CreateSubmissionResponse>("CreateSubmission",
                        new { competitionName = competition, blobFileTokens = slot.Token, submissionDescription = $"{team} #{iteration}" });
                    if (!created.TryAdd(create.Ref, team))
                    {
                        errors.Add($"ref {create.Ref} handed out twice");
                    }

                    var waiting = Stopwatch.StartNew();
                    while (true)
                    {
                        var s = await TimedAsync<ApiSubmission>("GetSubmission", new { @ref = create.Ref });
                        if (s.State != SubmissionState.Pending)
                        {
                            if (s.State == SubmissionState.Error)
                            {
                                errors.Add($"ref {create.Ref}: ERROR {s.ErrorDescription}");
                            }

                            break;
                        }

                        await Task.Delay(50);
                    }

                    scoringWaits.Add(waiting.Elapsed.TotalMilliseconds);
                    await TimedAsync<ListSubmissionsResponse>("ListSubmissions", new { competitionName = competition, pageSize = 20 });
                    if (iteration % 5 == 0)
                    {
                        await TimedAsync<GetLeaderboardResponse>("GetLeaderboard", new { competitionName = competition });
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    errors.Add($"{team}: {e.GetType().Name}: {e.Message}");
                }
            }

            async Task<T> TimedAsync<T>(string method, object body)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, $"/api/v1/competitions.CompetitionApiService/{method}"))
                {
                    Content = JsonContent.Create(body, options: KaggleJson.Options),
                };
                request.Headers.Authorization = auth;
                var sw = Stopwatch.StartNew();
                using var response = await http.SendAsync(request);
                var value = await response.Content.ReadFromJsonAsync<T>(KaggleJson.Options);
                Record(method, sw);
                response.EnsureSuccessStatusCode();
                return value!;
            }

            void Record(string method, Stopwatch sw) => latencies.GetOrAdd(method, _ => []).Add(sw.Elapsed.TotalMilliseconds);
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientAsync(i))));
        var elapsed = started.Elapsed;

        // Audit: what the clients were told against what the server stored.
        var stored = await server.Store.ListSubmissionsAsync(competition, null);
        var storedRefs = stored.Select(s => s.Ref).ToHashSet();
        var lost = created.Keys.Count(r => !storedRefs.Contains(r));
        var unknown = stored.Count(s => !created.ContainsKey(s.Ref));
        var duplicateTokens = stored.Count - stored.Select(s => s.Ref).Distinct().Count();
        var pending = stored.Count(s => s.Status == SubmissionState.Pending);
        var wrongTeam = stored.Count(s => created.TryGetValue(s.Ref, out var t) && t != s.Team);

        Console.WriteLine($"load: {clients} clients ({teams.Count} teams) for {elapsed.TotalSeconds:0.0} s against {competition} ({server.Solution.Count:N0} solution rows)");
        Console.WriteLine($"submissions: {created.Count} created and confirmed by clients, {stored.Count} stored; lost {lost}, unknown/double-counted {unknown + duplicateTokens}, wrong team {wrongTeam}, still pending {pending}, client errors {errors.Count}");
        foreach (var e in errors.Take(5))
        {
            Console.WriteLine($"  error: {e}");
        }

        Console.WriteLine($"{"call",-22} {"n",7} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8}");
        var all = new List<double>();
        foreach (var (method, values) in latencies.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var sorted = values.OrderBy(v => v).ToArray();
            if (method != "PUT upload")
            {
                all.AddRange(sorted);
            }

            Console.WriteLine($"{method,-22} {sorted.Length,7} {P(sorted, 0.50),8:0.0} {P(sorted, 0.95),8:0.0} {P(sorted, 0.99),8:0.0} {sorted[^1],8:0.0}");
        }

        var allSorted = all.OrderBy(v => v).ToArray();
        Console.WriteLine($"{"all RPC (non-scoring)",-22} {allSorted.Length,7} {P(allSorted, 0.50),8:0.0} {P(allSorted, 0.95),8:0.0} {P(allSorted, 0.99),8:0.0} {allSorted[^1],8:0.0}");
        var waits = scoringWaits.OrderBy(v => v).ToArray();
        if (waits.Length > 0)
        {
            Console.WriteLine($"{"create→scored wait",-22} {waits.Length,7} {P(waits, 0.50),8:0.0} {P(waits, 0.95),8:0.0} {P(waits, 0.99),8:0.0} {waits[^1],8:0.0}");
        }

        return lost == 0 && unknown + duplicateTokens == 0 && wrongTeam == 0 ? 0 : 1;
    }

    private static double P(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
