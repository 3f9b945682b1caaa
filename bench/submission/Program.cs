// The GEPIII submission's write and check (SubmissionFile) against the single-stream code they replaced (kept below,
// verbatim but for the row-id set, as the "before"), on SYNTHETIC rows: row ids 0..N-1, readings log-normal like
// GEPIII's meters (median about 90, a long tail, 5 % zeros). Writes DIR/submission.csv.gz (the new writer's file, which
// bench/submission.sh hands to gzip and zcat) and prints one line per step on stdout:
//   step seconds rows/s MB/s cpu   (MB/s of uncompressed text, 1 MB = 10^6 bytes; cpu: this process's user + system seconds)
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Esteira.Pipeline;

var rows = 41_697_600;
var dir = "/tmp/esteira-bench-submission";
var seed = 42;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--rows": rows = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--out": dir = Next(); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; usage: Esteira.Bench.Submission [--rows 41697600] [--out DIR] [--seed 42]");
            return 2;
    }
}

Directory.CreateDirectory(dir);
var random = new Random(seed);
var ids = new int[rows];
var predictions = new float[rows];
for (var i = 0; i < rows; i++)
{
    ids[i] = i;
    var u1 = 1 - random.NextDouble();
    var normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * random.NextDouble());
    predictions[i] = random.NextDouble() < 0.05 ? 0f : (float)Math.Exp(4.5 + (1.8 * normal));
}

var newPath = Path.Combine(dir, "submission.csv.gz");
var oldPath = Path.Combine(dir, "submission-single-stream.csv.gz");
var steps = new List<(string Name, double Seconds, double Cpu)>();

void Step(string name, Action action)
{
    GC.Collect();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    action();
    steps.Add((name, clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds));
}

Step("write single-stream (before)", () => OldWrite(oldPath, ids, predictions));
Step("write gzip members (after)", () => SubmissionFile.WriteAtomic(newPath, ids, predictions));
Step("check single-stream (before)", () => OldCheck(oldPath, ids));
Step("check (after)", () => SubmissionFile.Check(newPath, ids));
var textBytes = GzipLength(oldPath);
foreach (var (name, seconds, cpu) in steps)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} {seconds,7:F2} s {rows / seconds,12:F0} rows/s {textBytes / 1e6 / seconds,8:F1} MB/s  cpu {cpu,6:F2} s"));
}

Console.Error.WriteLine($"[submission] {rows:N0} rows, {textBytes / 1e6:F1} MB of text; gzip files: before {new FileInfo(oldPath).Length / 1e6:F1} MB, after {new FileInfo(newPath).Length / 1e6:F1} MB");
if (GzipLength(newPath) != textBytes)
{
    Console.Error.WriteLine("[submission] the two files do not decompress to the same length");
    return 1;
}

File.Delete(oldPath);
return 0;

static long GzipLength(string path)
{
    using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
    var buffer = new byte[1 << 20];
    long total = 0;
    for (int n; (n = gzip.Read(buffer)) > 0;)
    {
        total += n;
    }

    return total;
}

// ---- the code before: one GZipStream on one core, and a StreamReader line by line ----
static void OldWrite(string path, int[] rowIds, float[] predictions)
{
    using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
    using (var output = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true))
    {
        var buffer = new byte[1 << 16];
        var header = "row_id,meter_reading\n"u8;
        header.CopyTo(buffer);
        var used = header.Length;
        for (var i = 0; i < rowIds.Length; i++)
        {
            if (used > buffer.Length - 64)
            {
                output.Write(buffer, 0, used);
                used = 0;
            }

            Utf8Formatter.TryFormat(rowIds[i], buffer.AsSpan(used), out var n);
            used += n;
            buffer[used++] = (byte)',';
            Utf8Formatter.TryFormat(MathF.Round(predictions[i], 4), buffer.AsSpan(used), out n);
            used += n;
            buffer[used++] = (byte)'\n';
        }

        output.Write(buffer, 0, used);
    }

    file.Flush(flushToDisk: true);
}

static long OldCheck(string path, int[] sampleRowIds)
{
    // the old code's RowIdSet (internal to Esteira.Pipeline) was a bitmap over the dense ids: the same here
    var seen = new System.Collections.BitArray(sampleRowIds.Length);
    using var file = File.OpenRead(path);
    using var reader = new StreamReader(new GZipStream(file, CompressionMode.Decompress));
    if (reader.ReadLine()?.Trim() != "row_id,meter_reading")
    {
        throw new InvalidDataException("header");
    }

    long count = 0;
    while (reader.ReadLine() is { } text)
    {
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0 || !int.TryParse(text.AsSpan(0, comma), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            || !float.TryParse(text.AsSpan(comma + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value) || value < 0
            || (uint)id >= (uint)seen.Length || seen[id])
        {
            throw new InvalidDataException(text);
        }

        seen[id] = true;
        count++;
    }

    return count == sampleRowIds.Length ? count : throw new InvalidDataException("missing rows");
}
