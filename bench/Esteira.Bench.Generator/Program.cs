using System.Diagnostics;
using System.Globalization;
using System.Text;
using Esteira.Bench.Generator;

// Esteira bench generator: a full-scale GEPIII-shaped SYNTHETIC data set on the real GEPIII skeleton.
// usage: dotnet run --project bench/Esteira.Bench.Generator -c Release -- --out DIR [--seed 42] [--scale 1.0] [--gzip]
//        [--skeleton DIR] [--threads N]

string? outDir = null;
string skeletonDir = Environment.GetEnvironmentVariable("GEPIII_SKELETON") ?? "/work/shared/data/gepiii-reference";
int seed = 42, threads = Environment.ProcessorCount;
double scale = 1.0;
bool gzip = false;
for (int a = 0; a < args.Length; a++)
{
    string Next() => a + 1 < args.Length ? args[++a] : throw new ArgumentException("missing value after " + args[a]);
    switch (args[a])
    {
        case "--out": outDir = Next(); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--scale": scale = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--gzip": gzip = true; break;
        case "--skeleton": skeletonDir = Next(); break;
        case "--threads": threads = Math.Max(1, int.Parse(Next(), CultureInfo.InvariantCulture)); break;
        case "-h" or "--help":
            Console.WriteLine("usage: Esteira.Bench.Generator --out DIR [--seed 42] [--scale 1.0] [--gzip] [--skeleton DIR] [--threads N]");
            return 0;
        default:
            Console.Error.WriteLine("unknown argument: " + args[a]);
            return 2;
    }
}
if (outDir is null) { Console.Error.WriteLine("--out DIR is required"); return 2; }
if (!(scale > 0 && scale <= 1)) { Console.Error.WriteLine("--scale must be in (0, 1]"); return 2; }

var total = Stopwatch.StartNew();
var sw = Stopwatch.StartNew();
void Stage(string name)
{
    Console.WriteLine($"  {name,-28} {sw.Elapsed.TotalSeconds,7:F2} s");
    sw.Restart();
}

Directory.CreateDirectory(outDir);
string readmePath = Path.Combine(outDir, "README.md");
if (File.Exists(readmePath)) File.Delete(readmePath); // README is written last: its presence marks a complete set

Console.WriteLine($"Esteira bench generator: seed {seed}, scale {scale.ToString(CultureInfo.InvariantCulture)}, gzip {gzip}, threads {threads}, out {outDir}");
var sk = Skeleton.Load(skeletonDir);
var meters = MeterAssignment.Assign(sk.Buildings, seed, scale);
int nm = meters.Count;
int[] perType = new int[4];
foreach (var m in meters) perType[m.Type]++;
Stage("load skeleton + meters");

// weather_test.csv (replayed 2016 weather) and the per-site local-time temperature used by the readings
var airUtc = sk.WriteWeatherTest(CsvOut.PathFor(outDir, "weather_test.csv", gzip), gzip, seed, out long weatherTestRows);
var climate = new SiteClimate[Skeleton.Sites];
for (int s = 0; s < Skeleton.Sites; s++) climate[s] = SiteClimate.From(airUtc[s], Skeleton.UtcOffset[s]);
Stage("weather_test.csv + climate");

// readings: time-major matrix [hour * nm + meter] (float, NaN = train gap); ~250 MB at full scale
var mat = new float[(long)HourGrid.TotalHours * nm];
var outages = Enumerable.Range(0, Skeleton.Sites).Select(s => SeriesModel.SiteOutages(seed, s)).ToArray();
int hugeIndex = -1;
{
    var steam = Enumerable.Range(0, nm).Where(i => meters[i].Type == 2).ToArray();
    if (steam.Length > 0) { var r = Rng.For(seed, 8001); hugeIndex = steam[r.Int(0, steam.Length)]; }
}
Parallel.For(0, nm, new ParallelOptions { MaxDegreeOfParallelism = threads },
    () => new double[HourGrid.TotalHours],
    (mi, _, y) =>
    {
        var m = meters[mi];
        SeriesModel.Generate(m, climate[m.SiteId], seed, mi == hugeIndex, outages[m.SiteId], y);
        for (int i = 0; i < HourGrid.TotalHours; i++) mat[(long)i * nm + mi] = (float)y[i];
        return y;
    },
    _ => { });
Stage("readings");

// per-meter "building_id,meter," prefixes
var prefix = meters.Select(m => Encoding.ASCII.GetBytes($"{m.BuildingId},{m.Type},")).ToArray();
long trainRows = 0, trainZeros = 0, testRows = (long)(HourGrid.TotalHours - HourGrid.TrainHours) * nm;
var bytes = new Dictionary<string, long>();

void WriteTrain()
{
    using var w = new CsvOut(CsvOut.PathFor(outDir, "train.csv", gzip), gzip);
    w.Raw("building_id,meter,timestamp,meter_reading\n"u8);
    long rows = 0, zeros = 0;
    for (int i = 0; i < HourGrid.TrainHours; i++)
    {
        var ts = HourGrid.Timestamp(i);
        long row = (long)i * nm;
        for (int mi = 0; mi < nm; mi++)
        {
            float v = mat[row + mi];
            if (float.IsNaN(v)) continue;
            w.Raw(prefix[mi]); w.Raw(ts); w.Byte((byte)','); w.Reading(v); w.Byte((byte)'\n');
            rows++;
            if (v == 0) zeros++;
        }
    }
    trainRows = rows; trainZeros = zeros;
    lock (bytes) bytes["train.csv"] = w.Bytes;
}

void WriteTest()
{
    using var w = new CsvOut(CsvOut.PathFor(outDir, "test.csv", gzip), gzip);
    w.Raw("row_id,building_id,meter,timestamp\n"u8);
    long rowId = 0;
    for (int i = HourGrid.TrainHours; i < HourGrid.TotalHours; i++)
    {
        var ts = HourGrid.Timestamp(i);
        for (int mi = 0; mi < nm; mi++)
        {
            w.Int(rowId++); w.Byte((byte)','); w.Raw(prefix[mi]); w.Raw(ts); w.Byte((byte)'\n');
        }
    }
    lock (bytes) bytes["test.csv"] = w.Bytes;
}

void WriteSolution()
{
    using var w = new CsvOut(CsvOut.PathFor(outDir, "solution.csv", gzip), gzip);
    w.Raw("row_id,meter_reading,Usage\n"u8);
    long rowId = 0;
    int h2018 = (int)(new DateTime(2018, 1, 1) - HourGrid.Start).TotalHours;
    for (int i = HourGrid.TrainHours; i < HourGrid.TotalHours; i++)
    {
        var usage = i < h2018 ? ",Public\n"u8 : ",Private\n"u8;
        long row = (long)i * nm;
        for (int mi = 0; mi < nm; mi++)
        {
            w.Int(rowId++); w.Byte((byte)','); w.Reading(mat[row + mi]); w.Raw(usage);
        }
    }
    lock (bytes) bytes["solution.csv"] = w.Bytes;
}

void WriteSampleSubmission()
{
    using var w = new CsvOut(CsvOut.PathFor(outDir, "sample_submission.csv", gzip), gzip);
    w.Raw("row_id,meter_reading\n"u8);
    for (long rowId = 0; rowId < testRows; rowId++) { w.Int(rowId); w.Raw(",0\n"u8); }
    lock (bytes) bytes["sample_submission.csv"] = w.Bytes;
}

void CopyThrough(string name)
{
    // byte-for-byte copy (not File.Copy: that would also copy a read-only file mode)
    string dst = CsvOut.PathFor(outDir, name, gzip);
    if (File.Exists(dst)) { File.SetAttributes(dst, FileAttributes.Normal); File.Delete(dst); }
    using var w = new CsvOut(dst, gzip);
    w.Raw(File.ReadAllBytes(Path.Combine(skeletonDir, name)));
}

// the two big writers first, so that they start at once on the two cores
Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = threads },
    WriteTest, WriteTrain, WriteSolution, WriteSampleSubmission,
    () => CopyThrough("building_metadata.csv"), () => CopyThrough("weather_train.csv"));
Stage("write CSVs");

var inv = CultureInfo.InvariantCulture;
string ext = gzip ? ".csv.gz" : ".csv";
string readme = $"""
# SYNTHETIC DATA — NOT REAL METER READINGS

**Every meter reading in this folder (train{ext}, solution{ext}) is SYNTHETIC.** It was generated by
Esteira's bench generator (`bench/Esteira.Bench.Generator`) for speed and memory benchmarks. Accuracy
measured on this folder says nothing about real buildings and must never be reported as real accuracy.

- generator: Esteira.Bench.Generator, seed {seed}, scale {scale.ToString(inv)}, gzip {gzip.ToString().ToLowerInvariant()}
- generated (UTC): {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", inv)}
- skeleton: `{skeletonDir}` — the real GEPIII `building_metadata.csv` (1,449 buildings, copied through
  unchanged) and the real 2016 `weather_train.csv` of the 16 sites (copied through unchanged).
- `weather_test{ext}` (2017-01-01 .. 2018-12-31, UTC) is SYNTHETIC: 2016 weather replayed per site and
  hour of year with small deterministic noise; missing rows and empty cells are kept as in 2016.
- meters: {nm:N0} ({perType[0]:N0} electricity, {perType[1]:N0} chilled water, {perType[2]:N0} steam, {perType[3]:N0} hot water)
  assigned to real buildings by the seed; at most one meter per type per building.

| file | rows |
|---|---:|
| train{ext} (2016, local time; gaps are absent rows) | {trainRows:N0} |
| test{ext} (2017-2018, local time, full hourly grid) | {testRows:N0} |
| sample_submission{ext} | {testRows:N0} |
| solution{ext} (row_id, meter_reading, Usage: Public = 2017, Private = 2018) | {testRows:N0} |
| weather_train{ext} (real, 2016, UTC) | 139,773 |
| weather_test{ext} (synthetic replay, UTC) | {weatherTestRows:N0} |

Row order: train and test are sorted by timestamp, then building_id, then meter; row_id follows test order.

How the readings are made: per meter, level from the building's square_feet, hourly/weekday shapes by
primary_use, holidays, temperature response (electricity: mild cooling/heating; chilled water rises with
heat; steam and hot water rise with cold) using the site's weather shifted from UTC to local time by the
site offset, AR(1) daily and hourly noise in log space — constants measured on the real BDG2 electricity
sample (36 buildings) — plus GEPIII-like artefacts: gaps, runs of zeros (broken meters, plants off for
the season, site-0 electricity until about 20 May 2016), a few >= 24 h constant runs, level shifts of
20-60 % at a random date, site-0 electricity in kBTU, and one steam meter about 1000x larger than usual.
Train zero readings: {trainZeros:N0} ({100.0 * trainZeros / Math.Max(1, trainRows):F2} %).

Skeleton licence and attribution: the GEPIII/BDG2 building metadata and weather are CC BY-SA 4.0.
Cite: Miller, C. et al. (2020) "The Building Data Genome Project 2, energy meter data from the ASHRAE
Great Energy Predictor III competition", Scientific Data 7, 368, doi:10.1038/s41597-020-00712-x.
This derived data set is shared under the same licence (CC BY-SA 4.0).

""";
string manifest = $$"""
{"synthetic":true,"seed":{{seed}},"scale":{{scale.ToString(inv)}},"gzip":{{gzip.ToString().ToLowerInvariant()}},"meters":{{nm}},"meters_by_type":[{{string.Join(",", perType)}}],"train_rows":{{trainRows}},"train_zero_rows":{{trainZeros}},"test_rows":{{testRows}},"weather_test_rows":{{weatherTestRows}}}

""";
File.WriteAllText(Path.Combine(outDir, "generator.json"), manifest);
File.WriteAllText(readmePath, readme);

Console.WriteLine($"meters {nm} (by type {string.Join("/", perType)}), train rows {trainRows:N0} (zeros {trainZeros:N0}), test rows {testRows:N0}, weather_test rows {weatherTestRows:N0}");
foreach (var kv in bytes.OrderBy(k => k.Key)) Console.WriteLine($"  {kv.Key,-22} {kv.Value / 1048576.0,9:F1} MiB uncompressed");
Console.WriteLine($"total {total.Elapsed.TotalSeconds:F2} s");
return 0;
