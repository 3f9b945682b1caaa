// Tracking benchmark: fills a store with N runs (~10 params, ~8 metrics each, plus 3 per-fold values of the main
// metric) and times `list` (sorted by a metric, top 50) and `compare` of 5 runs, on SQLite and PostgreSQL.
//
//   dotnet run -c Release --project bench/tracking -- [--runs 10000] [--postgres CONNECTION_STRING] [--repeat 30]
//
// PostgreSQL comes from --postgres or ESTEIRA_TEST_POSTGRES (`source .ci/services.sh`); it is skipped when neither
// is set. Each store is filled through the public API (parallel writers), then each query is run once cold and
// `repeat` times warm; the median and the worst warm time are reported. Target: list and compare ≤ 200 ms on
// SQLite, PostgreSQL within 2×.
using System.Diagnostics;
using System.Globalization;
using Esteira.Tracking;

var runs = Arg("--runs", 10_000);
var repeat = Arg("--repeat", 30);
var postgres = ArgText("--postgres") ?? Environment.GetEnvironmentVariable("ESTEIRA_TEST_POSTGRES");
var workspace = Path.Combine(Path.GetTempPath(), $"esteira-bench-{Guid.NewGuid():N}"[..26]);
Directory.CreateDirectory(workspace);

var results = new List<string>();
try
{
    results.Add(await BenchAsync("sqlite", $"sqlite:{Path.Combine(workspace, "bench.db")}", null));
    if (postgres is not null)
    {
        var schema = $"esteira_bench_{Guid.NewGuid():N}"[..30];
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(postgres) { SearchPath = schema };
        try
        {
            results.Add(await BenchAsync("postgresql", builder.ConnectionString, null));
        }
        finally
        {
            await using var connection = new Npgsql.NpgsqlConnection(postgres);
            await connection.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
    else
    {
        Console.WriteLine("postgresql: skipped (set ESTEIRA_TEST_POSTGRES or pass --postgres)");
    }
}
finally
{
    Directory.Delete(workspace, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"| store | runs | fill (s) | list top 50 by cv_rmsle: cold / median / max (ms) | compare 5: cold / median / max (ms) |");
Console.WriteLine("|---|---|---|---|---|");
results.ForEach(Console.WriteLine);
return 0;

async Task<string> BenchAsync(string name, string uri, TimeProvider? time)
{
    await using var store = await TrackingStores.OpenAsync(uri, workspace, time);
    var fill = Stopwatch.StartNew();
    var writers = Math.Min(8, Environment.ProcessorCount * 2);
    var perWriter = (runs + writers - 1) / writers;
    var ids = new List<long>[writers];
    await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
    {
        await using var own = await TrackingStores.OpenAsync(uri, workspace, time);
        var random = new Random(w);
        ids[w] = [];
        for (var i = 0; i < perWriter && w * perWriter + i < runs; i++)
        {
            var parameters = Enumerable.Range(0, 10).ToDictionary(p => $"param_{p}", p => (p % 3 == 0 ? random.Next(10, 500) : random.NextDouble()).ToString(CultureInfo.InvariantCulture));
            var id = await own.StartRunAsync(new NewRun
            {
                Experiment = $"exp-{random.Next(20)}",
                Params = parameters,
                Lineage = new RunLineage { GitCommit = "0123456789abcdef", DatasetHash = "sha256:feed", EsteiraVersion = "0.1.0", Machine = "bench" },
            });
            var rmsle = 0.35 + random.NextDouble() * 0.3;
            var metrics = new List<MetricPoint> { new("cv_rmsle", rmsle) };
            metrics.AddRange(Enumerable.Range(0, 3).Select(f => new MetricPoint("cv_rmsle", rmsle + random.NextDouble() * 0.02 - 0.01, Fold: f)));
            metrics.AddRange(Enumerable.Range(0, 7).Select(m => new MetricPoint($"metric_{m}", random.NextDouble())));
            await own.LogAsync(id, new RunLog { Metrics = metrics, Stages = [new StageDuration("train", random.NextDouble() * 60)] });
            await own.FinishRunAsync(id, RunStatus.Finished);
            ids[w].Add(id);
        }
    })));
    fill.Stop();
    Console.WriteLine($"{name}: filled {runs:N0} runs in {fill.Elapsed.TotalSeconds:F1} s ({store.Location})");

    var all = ids.SelectMany(x => x).ToList();
    var list = Time(async () =>
    {
        var top = await store.ListRunsAsync(new RunQuery { SortMetric = "cv_rmsle", Limit = 50 });
        if (top.Count != 50 || top[0].Metrics["cv_rmsle"] > top[49].Metrics["cv_rmsle"])
        {
            throw new InvalidOperationException("list returned the wrong runs");
        }
    });
    var random = new Random(99);
    var compare = Time(async () =>
    {
        var five = Enumerable.Range(0, 5).Select(_ => all[random.Next(all.Count)]).Distinct().ToList();
        var loaded = await store.GetRunsOrThrowAsync(five);
        var table = RunComparison.Compare(loaded, all: false);
        if (table.Rows.Count == 0)
        {
            throw new InvalidOperationException("compare found nothing");
        }
    });
    return $"| {name} | {runs:N0} | {fill.Elapsed.TotalSeconds:F1} | {await list} | {await compare} |";
}

async Task<string> Time(Func<Task> query)
{
    var cold = Stopwatch.StartNew();
    await query();
    cold.Stop();
    var warm = new List<double>();
    for (var i = 0; i < repeat; i++)
    {
        var sw = Stopwatch.StartNew();
        await query();
        warm.Add(sw.Elapsed.TotalMilliseconds);
    }

    warm.Sort();
    return $"{cold.Elapsed.TotalMilliseconds:F1} / {warm[warm.Count / 2]:F1} / {warm[^1]:F1}";
}

int Arg(string name, int fallback) => ArgText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
