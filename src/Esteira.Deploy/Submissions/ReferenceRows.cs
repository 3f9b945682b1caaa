using System.Text;

namespace Esteira.Deploy.Submissions;

/// <summary>Which leaderboard a solution row counts towards (Kaggle's <c>Usage</c> column).</summary>
public enum RowUsage : byte
{
    /// <summary>Not a row of the competition: a submission must not contain it.</summary>
    None = 0,
    Public = 1,
    Private = 2,

    /// <summary>Must be present in a submission but is not scored.</summary>
    Ignored = 3,
}

/// <summary>The metric a competition is scored with; lower is better for all three.</summary>
public enum SubmissionMetric
{
    Rmsle,
    Rmse,
    Mae,
}

/// <summary>
/// The rows a submission must have, held as arrays indexed by row id: the usage of each row and, for a solution, its
/// true value already transformed for the metric (log1p for RMSLE), so that scoring is one pass with no lookups.
/// Built from a solution (<c>row_id,target,Usage</c>) or from a sample submission (<c>row_id,target</c>, ids only).
/// </summary>
public sealed class ReferenceRows
{
    private ReferenceRows(byte[] usage, float[]? actual, int count, int publicCount, int privateCount, string idColumn, string valueColumn, SubmissionMetric metric)
    {
        Usage = usage;
        Actual = actual;
        Count = count;
        PublicCount = publicCount;
        PrivateCount = privateCount;
        IdColumn = idColumn;
        ValueColumn = valueColumn;
        Metric = metric;
    }

    internal byte[] Usage { get; }

    internal float[]? Actual { get; }

    public int Count { get; }
    public int PublicCount { get; }
    public int PrivateCount { get; }
    public string IdColumn { get; }
    public string ValueColumn { get; }
    public SubmissionMetric Metric { get; }

    /// <summary>True when the rows carry true values (a solution), false for a sample submission.</summary>
    public bool CanScore => Actual is not null;

    /// <summary>Reads a solution file: <c>id,target,Usage</c> with Usage Public, Private or Ignored; plain, .gz or one-entry .zip.</summary>
    public static ReferenceRows LoadSolution(string path, SubmissionMetric metric) => Load(path, metric, solution: true);

    /// <summary>Reads a sample submission: <c>id,target</c>; only the ids matter.</summary>
    public static ReferenceRows LoadSample(string path) => Load(path, SubmissionMetric.Rmsle, solution: false);

    /// <summary>Builds rows in memory (tests, small competitions).</summary>
    public static ReferenceRows FromArrays(ReadOnlySpan<int> ids, ReadOnlySpan<float> actual, ReadOnlySpan<RowUsage> usage, SubmissionMetric metric,
        string idColumn = "row_id", string valueColumn = "meter_reading")
    {
        var max = 0;
        foreach (var id in ids)
        {
            max = Math.Max(max, id);
        }

        var u = new byte[max + 1];
        var a = new float[max + 1];
        int pub = 0, priv = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            u[ids[i]] = (byte)usage[i];
            a[ids[i]] = Transform(actual[i], metric);
            pub += usage[i] == RowUsage.Public ? 1 : 0;
            priv += usage[i] == RowUsage.Private ? 1 : 0;
        }

        return new ReferenceRows(u, a, ids.Length, pub, priv, idColumn, valueColumn, metric);
    }

    internal static float Transform(double value, SubmissionMetric metric) =>
        metric == SubmissionMetric.Rmsle ? (float)Math.Log(1.0 + value) : (float)value;

    private static ReferenceRows Load(string path, SubmissionMetric metric, bool solution)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"{path}: no such file; expected {(solution ? "the solution (row_id,meter_reading,Usage)" : "sample_submission.csv")}");
        }

        try
        {
            using var reader = LineReader.Open(path);
            if (!reader.TryReadLine(out var headerLine))
            {
                throw EsteiraException.BadInput(name, 1, null, "the file is empty", "expected a header line");
            }

            var header = Encoding.UTF8.GetString(headerLine).Split(',').Select(h => h.Trim().Trim('"')).ToArray();
            if (header.Length != (solution ? 3 : 2) || (solution && !header[2].Equals("Usage", StringComparison.OrdinalIgnoreCase)))
            {
                throw EsteiraException.BadInput(name, 1, null, $"header is '{string.Join(',', header)}'",
                    solution ? "expected 'row_id,<target>,Usage'" : "expected 'row_id,<target>'");
            }

            var capacity = 1 << 16;
            var usage = new byte[capacity];
            var actual = solution ? new float[capacity] : null;
            int count = 0, pub = 0, priv = 0;
            Span<Range> cells = stackalloc Range[3];
            while (reader.TryReadLine(out var line))
            {
                if (line.IsEmpty)
                {
                    continue;
                }

                var fields = CsvFields.Split(line, cells);
                if (fields < 2 || !Numbers.TryParseRowId(line[cells[0]], out var id))
                {
                    throw EsteiraException.BadInput(name, reader.LineNumber, header[0], $"{Numbers.Quote(fields < 2 ? line : line[cells[0]])} is not a non-negative integer id", "fix the file");
                }

                var valueCell = line[cells[1]];
                double value = 0;
                if (solution && (!Numbers.TryParseValue(valueCell, out value) || !double.IsFinite(value) || value < 0))
                {
                    throw EsteiraException.BadInput(name, reader.LineNumber, header[1], $"{Numbers.Quote(valueCell)} is not a finite number ≥ 0", "fix the file");
                }

                var kind = RowUsage.Public;
                if (solution)
                {
                    var usageCell = fields < 3 ? ReadOnlySpan<byte>.Empty : line[cells[2]];
                    kind = ParseUsage(usageCell);
                    if (kind == RowUsage.None)
                    {
                        throw EsteiraException.BadInput(name, reader.LineNumber, "Usage", $"{Numbers.Quote(usageCell)} is not Public, Private or Ignored", "fix the file");
                    }
                }

                if (id >= usage.Length)
                {
                    var grown = Math.Max(usage.Length * 2, id + 1);
                    if (grown > (4L * Math.Max(count, 1)) + 4_000_000)
                    {
                        throw EsteiraException.BadInput(name, reader.LineNumber, header[0], $"id {id} is far beyond the {count} rows read so far",
                            "ids must be dense non-negative integers (0..N-1 as in GEPIII)");
                    }

                    Array.Resize(ref usage, grown);
                    if (actual is not null)
                    {
                        Array.Resize(ref actual, grown);
                    }
                }

                if (usage[id] != 0)
                {
                    throw EsteiraException.BadInput(name, reader.LineNumber, header[0], $"id {id} appears twice", "every id must appear once");
                }

                usage[id] = (byte)kind;
                if (actual is not null)
                {
                    actual[id] = Transform(value, metric);
                }

                count++;
                pub += kind == RowUsage.Public ? 1 : 0;
                priv += kind == RowUsage.Private ? 1 : 0;
            }

            if (count == 0)
            {
                throw EsteiraException.BadInput(name, reader.LineNumber, null, "the file has a header but no rows", "expected one row per id");
            }

            return new ReferenceRows(usage, actual, count, pub, priv, header[0], header[1], metric);
        }
        catch (InvalidDataException e)
        {
            throw EsteiraException.BadInput(name, null, null, $"cannot be read ({e.Message})", "the file is damaged or not CSV; replace it");
        }
    }

    private static RowUsage ParseUsage(ReadOnlySpan<byte> cell)
    {
        var trimmed = cell.Trim((byte)' ').Trim((byte)'"');
        return trimmed.Length switch
        {
            6 when Ascii.EqualsIgnoreCase(trimmed, "Public"u8) => RowUsage.Public,
            7 when Ascii.EqualsIgnoreCase(trimmed, "Private"u8) => RowUsage.Private,
            7 when Ascii.EqualsIgnoreCase(trimmed, "Ignored"u8) => RowUsage.Ignored,
            _ => RowUsage.None,
        };
    }
}
