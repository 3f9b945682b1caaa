using System.Globalization;
using System.Text;

namespace Esteira.Data.Submissions;

/// <summary>Which leaderboard a solution row counts towards (Kaggle's <c>Usage</c> column).</summary>
public enum RowUsage : byte
{
    /// <summary>Not a row of the competition: a submission must not contain it.</summary>
    None = 0,
    /// <summary>Scored on the public leaderboard.</summary>
    Public = 1,
    /// <summary>Scored on the private leaderboard.</summary>
    Private = 2,

    /// <summary>Must be present in a submission but is not scored.</summary>
    Ignored = 3,
}

/// <summary>
/// The rows a submission must have: the usage of each row and, for a solution, its true value (already transformed for
/// the metric: log1p for RMSLE), held in arrays indexed by a slot. Built from a solution (<c>ID,TARGET,Usage</c>) or from
/// a sample submission (<c>ID,TARGET</c>, ids only); the column names are the file's own.
/// </summary>
/// <remarks>
/// When every id is a dense non-negative integer written canonically (GEPIII's <c>row_id</c> 0..41,697,599) the slot is
/// the id itself: no lookup table, one byte and one float per row. Any other ids (timestamps, strings, sparse or
/// zero-padded numbers) are keyed by the id text exactly as written, after RFC 4180 unquoting, in a dictionary from id
/// to slot.
/// </remarks>
public sealed class ReferenceRows
{
    private ReferenceRows(byte[] usage, float[]? actual, Dictionary<string, int>? index, int count, int publicCount, int privateCount,
        string idColumn, string valueColumn, EvalMetric metric)
    {
        Usage = usage;
        Actual = actual;
        Index = index;
        Count = count;
        PublicCount = publicCount;
        PrivateCount = privateCount;
        IdColumn = idColumn;
        ValueColumn = valueColumn;
        Metric = metric;
    }

    /// <summary>The usage of each slot; 0 (<see cref="RowUsage.None"/>) for a slot that is no row.</summary>
    internal byte[] Usage { get; }

    /// <summary>The true value of each slot, transformed by <see cref="Transform"/>; null for a sample submission.</summary>
    internal float[]? Actual { get; }

    /// <summary>Id text → slot; null when the ids are dense integers and the slot is the id.</summary>
    internal Dictionary<string, int>? Index { get; }

    /// <summary>Number of solution rows a submission must contain.</summary>
    public int Count { get; }
    /// <summary>Number of rows scored on the public leaderboard.</summary>
    public int PublicCount { get; }
    /// <summary>Number of rows scored on the private leaderboard.</summary>
    public int PrivateCount { get; }

    /// <summary>The id column's name, from the file's header (<c>row_id</c>, <c>ID</c>, <c>datetime</c>, …).</summary>
    public string IdColumn { get; }

    /// <summary>The target column's name, from the file's header.</summary>
    public string ValueColumn { get; }

    /// <summary>The metric submissions are scored with; it also decides which values a submission may hold.</summary>
    public EvalMetric Metric { get; }

    /// <summary>True when the ids are dense non-negative integers held without a lookup table.</summary>
    public bool IntegerIds => Index is null;

    /// <summary>True when the rows carry true values (a solution), false for a sample submission.</summary>
    public bool CanScore => Actual is not null;

    /// <summary>True for the metrics scored in one streaming pass (sums of per-row terms); the others collect every prediction.</summary>
    internal static bool Streams(EvalMetric metric) => metric == EvalMetric.Rmsle || metric == EvalMetric.Rmse || metric == EvalMetric.Mae;

    /// <summary>Reads a solution file: <c>ID,TARGET,Usage</c> with Usage Public, Private or Ignored; plain, .gz or one-entry .zip.</summary>
    public static ReferenceRows LoadSolution(string path, EvalMetric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return Load(path, metric, solution: true);
    }

    /// <summary>
    /// Reads a sample submission: <c>ID,TARGET</c>; only the ids matter. <paramref name="metric"/> (default RMSLE) decides
    /// which values a submission checked against it may hold.
    /// </summary>
    public static ReferenceRows LoadSample(string path, EvalMetric? metric = null) => Load(path, metric ?? EvalMetric.Rmsle, solution: false);

    /// <summary>Builds rows with integer ids in memory (tests, small competitions).</summary>
    public static ReferenceRows FromArrays(ReadOnlySpan<int> ids, ReadOnlySpan<float> actual, ReadOnlySpan<RowUsage> usage, EvalMetric metric,
        string idColumn = "row_id", string valueColumn = "meter_reading")
    {
        ArgumentNullException.ThrowIfNull(metric);
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

        return new ReferenceRows(u, a, null, ids.Length, pub, priv, idColumn, valueColumn, metric);
    }

    /// <summary>
    /// The rows of a sample submission known only by its ids (the pipeline's <c>sample_row_id</c>), checked as
    /// <see cref="LoadSample"/> would; an id given twice is one row.
    /// </summary>
    public static ReferenceRows FromSampleIds(ReadOnlySpan<int> ids, EvalMetric metric, string idColumn, string valueColumn)
    {
        ArgumentNullException.ThrowIfNull(metric);
        int min = 0, max = 0;
        foreach (var id in ids)
        {
            (min, max) = (Math.Min(min, id), Math.Max(max, id));
        }

        // the rule of Load: the id is the slot while the slots stay within a few times the row count
        Dictionary<string, int>? index = min < 0 || max + 1L > (4L * ids.Length) + 4_000_000 ? new(ids.Length, StringComparer.Ordinal) : null;
        var usage = new byte[index is null ? max + 1 : ids.Length];
        var count = 0;
        foreach (var id in ids)
        {
            var slot = index is null ? id : count;
            var repeated = index is null ? usage[slot] != 0 : !index.TryAdd(id.ToString(CultureInfo.InvariantCulture), slot);
            if (!repeated)
            {
                usage[slot] = (byte)RowUsage.Public;
                count++;
            }
        }

        return new ReferenceRows(usage, null, index, count, count, 0, idColumn, valueColumn, metric);
    }

    internal static float Transform(double value, EvalMetric metric) =>
        metric == EvalMetric.Rmsle ? (float)Math.Log(1.0 + value) : (float)value;

    /// <summary>The id of <paramref name="slot"/> as written in the files.</summary>
    internal string IdOf(int slot)
    {
        if (Index is null)
        {
            return slot.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (id, s) in Index)
        {
            if (s == slot)
            {
                return id;
            }
        }

        return "?";
    }

    /// <summary>What a submitted value must be for <paramref name="metric"/>, as error messages say it.</summary>
    internal static string ValueRule(EvalMetric metric) =>
        metric == EvalMetric.Rmsle ? "a finite number ≥ 0"
        : metric == EvalMetric.LogLoss || metric == EvalMetric.Accuracy ? "a probability: a finite number within [0, 1]"
        : "a finite number";

    /// <summary>True when <paramref name="value"/> obeys <see cref="ValueRule"/>.</summary>
    internal static bool Accepts(EvalMetric metric, double value) =>
        double.IsFinite(value)
        && (metric == EvalMetric.Rmsle ? value >= 0
            : metric == EvalMetric.LogLoss || metric == EvalMetric.Accuracy ? value is >= 0 and <= 1
            : true);

    /// <summary>
    /// The text of the id cell <paramref name="cell"/> of <paramref name="line"/> into <paramref name="buffer"/> (grown when
    /// needed): UTF-8 decoded, and when the field was quoted, each doubled quote read as one (RFC 4180). Returns its length.
    /// </summary>
    internal static int IdChars(ReadOnlySpan<byte> line, Range cell, ref char[] buffer)
    {
        var bytes = line[cell];
        if (buffer.Length < bytes.Length)
        {
            buffer = new char[Math.Max(bytes.Length, buffer.Length * 2)];
        }

        var n = Encoding.UTF8.GetChars(bytes, buffer);
        var start = cell.Start.GetOffset(line.Length);
        if (start == 0 || line[start - 1] != (byte)'"' || bytes.IndexOf("\"\""u8) < 0)
        {
            return n;
        }

        var w = 0;
        for (var r = 0; r < n; r++)
        {
            buffer[w++] = buffer[r];
            if (buffer[r] == '"' && r + 1 < n && buffer[r + 1] == '"')
            {
                r++;
            }
        }

        return w;
    }

    /// <summary>An id quoted for an error message (at most 40 characters, control characters as '?').</summary>
    internal static string QuoteId(ReadOnlySpan<char> id) => Numbers.Quote(Encoding.UTF8.GetBytes(id.ToArray()));

    private static ReferenceRows Load(string path, EvalMetric metric, bool solution)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"{path}: no such file; expected {(solution ? "the solution (ID,TARGET,Usage, e.g. row_id,meter_reading,Usage)" : "sample_submission.csv")}");
        }

        try
        {
            using var reader = LineReader.Open(path);
            if (!reader.TryReadLine(out var headerLine))
            {
                throw EsteiraException.BadInput(name, 1, null, "the file is empty", "expected a header line");
            }

            var header = Encoding.UTF8.GetString(headerLine).Split(',').Select(h => h.Trim().Trim('"')).ToArray();
            if (header.Length != (solution ? 3 : 2) || (solution && !header[2].Equals("Usage", StringComparison.OrdinalIgnoreCase))
                || header[0].Length == 0 || header[1].Length == 0)
            {
                throw EsteiraException.BadInput(name, 1, null, $"header is '{string.Join(',', header)}'",
                    solution ? "expected 'ID,TARGET,Usage' (e.g. 'row_id,meter_reading,Usage')" : "expected 'ID,TARGET' (e.g. 'row_id,meter_reading')");
            }

            var capacity = 1 << 16;
            var usage = new byte[capacity];
            var actual = solution ? new float[capacity] : null;
            Dictionary<string, int>? index = null;
            var chars = new char[256];
            int count = 0, pub = 0, priv = 0;
            var expected = solution ? 3 : 2;
            Span<Range> cells = stackalloc Range[3];
            while (reader.TryReadLine(out var line))
            {
                if (line.IsEmpty)
                {
                    continue;
                }

                var fields = CsvFields.Split(line, cells);
                if (fields < 0)
                {
                    throw EsteiraException.BadInput(name, reader.LineNumber, header[0], $"{Numbers.Quote(line)} opens a quote that is never closed", "fix the file");
                }

                if (fields < expected)
                {
                    throw EsteiraException.BadInput(name, reader.LineNumber, header[fields], $"{Numbers.Quote(line)} has {fields} column{(fields == 1 ? "" : "s")}",
                        $"expected {expected} ('{string.Join(',', header)}')");
                }

                var valueCell = line[cells[1]];
                double value = 0;
                if (solution && (!Numbers.TryParseValue(valueCell, out value) || !AcceptsTruth(metric, value)))
                {
                    throw EsteiraException.BadInput(name, reader.LineNumber, header[1], $"{Numbers.Quote(valueCell)} is not {TruthRule(metric)}", "fix the file");
                }

                var kind = RowUsage.Public;
                if (solution)
                {
                    var usageCell = line[cells[2]];
                    kind = ParseUsage(usageCell);
                    if (kind == RowUsage.None)
                    {
                        throw EsteiraException.BadInput(name, reader.LineNumber, "Usage", $"{Numbers.Quote(usageCell)} is not Public, Private or Ignored", "fix the file");
                    }
                }

                int slot;
                if (index is null && TryCanonicalId(line[cells[0]], out var id) && (id < usage.Length || Math.Max(usage.Length * 2L, id + 1L) <= (4L * Math.Max(count, 1)) + 4_000_000))
                {
                    if (id >= usage.Length)
                    {
                        var grown = Math.Max(usage.Length * 2, id + 1);
                        Array.Resize(ref usage, grown);
                        if (actual is not null)
                        {
                            Array.Resize(ref actual, grown);
                        }
                    }

                    if (usage[id] != 0)
                    {
                        throw EsteiraException.BadInput(name, reader.LineNumber, header[0], $"{header[0]} '{id}' appears more than once", "keep one row per id");
                    }

                    slot = id;
                }
                else
                {
                    // Not (or no longer) dense integers: key every id by its text; the integer ids read so far move over.
                    index ??= ToIndex(ref usage, ref actual, count);
                    var n = IdChars(line, cells[0], ref chars);
                    if (n == 0)
                    {
                        throw EsteiraException.BadInput(name, reader.LineNumber, header[0], "the id is empty", "give every row an id");
                    }

                    var text = new string(chars, 0, n);
                    if (!index.TryAdd(text, count))
                    {
                        throw EsteiraException.BadInput(name, reader.LineNumber, header[0], $"{header[0]} {QuoteId(text)} appears more than once", "keep one row per id");
                    }

                    slot = count;
                    if (slot >= usage.Length)
                    {
                        Array.Resize(ref usage, usage.Length * 2);
                        if (actual is not null)
                        {
                            Array.Resize(ref actual, usage.Length);
                        }
                    }
                }

                usage[slot] = (byte)kind;
                if (actual is not null)
                {
                    actual[slot] = Transform(value, metric);
                }

                count++;
                pub += kind == RowUsage.Public ? 1 : 0;
                priv += kind == RowUsage.Private ? 1 : 0;
            }

            if (count == 0)
            {
                throw EsteiraException.BadInput(name, reader.LineNumber, null, "the file has a header but no rows", "expected one row per id");
            }

            if (solution && metric == EvalMetric.Auc)
            {
                RequireBothClasses(name, header[1], usage, actual!, RowUsage.Public);
                RequireBothClasses(name, header[1], usage, actual!, RowUsage.Private);
            }

            return new ReferenceRows(usage, actual, index, count, pub, priv, header[0], header[1], metric);
        }
        catch (InvalidDataException e)
        {
            throw EsteiraException.BadInput(name, null, null, $"cannot be read ({e.Message})", "the file is damaged or not CSV; replace it");
        }
    }

    /// <summary>A non-negative int written as the framework writes it: digits only, no leading zero.</summary>
    private static bool TryCanonicalId(ReadOnlySpan<byte> cell, out int id) =>
        Numbers.TryParseRowId(cell, out id) && (cell.Length == 1 || cell[0] != (byte)'0');

    /// <summary>Moves integer-indexed rows into slots 0..count-1 keyed by the id's text.</summary>
    private static Dictionary<string, int> ToIndex(ref byte[] usage, ref float[]? actual, int count)
    {
        var index = new Dictionary<string, int>(Math.Max(count * 2, 1024), StringComparer.Ordinal);
        var u = new byte[Math.Max(count * 2, 1024)];
        var a = actual is null ? null : new float[u.Length];
        var slot = 0;
        for (var id = 0; id < usage.Length && slot < count; id++)
        {
            if (usage[id] != 0)
            {
                index.Add(id.ToString(CultureInfo.InvariantCulture), slot);
                u[slot] = usage[id];
                if (a is not null)
                {
                    a[slot] = actual![id];
                }

                slot++;
            }
        }

        usage = u;
        actual = a;
        return index;
    }

    private static string TruthRule(EvalMetric metric) =>
        metric == EvalMetric.Rmsle ? "a finite number ≥ 0"
        : metric.Classification ? "a label: a finite number within [0, 1] (0 or 1)"
        : "a finite number";

    private static bool AcceptsTruth(EvalMetric metric, double value) =>
        double.IsFinite(value) && (metric == EvalMetric.Rmsle ? value >= 0 : !metric.Classification || value is >= 0 and <= 1);

    private static void RequireBothClasses(string name, string column, byte[] usage, float[] actual, RowUsage board)
    {
        bool positive = false, negative = false, any = false;
        for (var slot = 0; slot < usage.Length; slot++)
        {
            if (usage[slot] == (byte)board)
            {
                any = true;
                positive |= actual[slot] >= 0.5f;
                negative |= actual[slot] < 0.5f;
            }
        }

        if (any && !(positive && negative))
        {
            throw EsteiraException.BadInput(name, null, column, $"the {board} rows hold only {(positive ? "positives" : "negatives")}, so their AUC is undefined",
                "give each board both classes");
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
