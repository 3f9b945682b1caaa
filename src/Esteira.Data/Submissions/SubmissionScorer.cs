using System.Globalization;
using System.Text;

namespace Esteira.Data.Submissions;

/// <summary>The first problem found in a submission file: its 1-based line, the column, and what is wrong.</summary>
public sealed record SubmissionFormatError(long Line, string Column, string Problem)
{
    /// <summary>
    /// One line, e.g. <c>line 17 column 'meter_reading': '-3' is not a finite number ≥ 0</c>; without a column (the line as a
    /// whole is wrong) <c>line 1 is not text: …</c>.
    /// </summary>
    public override string ToString() => Column.Length == 0 ? $"line {Line} {Problem}" : $"line {Line} column '{Column}': {Problem}";
}

/// <summary>What checking (and, against a solution, scoring) a submission found.</summary>
public sealed record SubmissionCheck(long Rows, double? PublicScore, double? PrivateScore, SubmissionFormatError? Error)
{
    /// <summary>True when the submission had no format error.</summary>
    public bool IsValid => Error is null;
}

/// <summary>
/// What one submission may cost the server: lines (blank ones included), decompressed bytes and wall time. A file past a
/// limit is refused with a format error saying which; <see cref="For"/> derives the first two from the solution's row count.
/// </summary>
public sealed record ScoringLimits(long MaxLines, long MaxBytes, TimeSpan TimeBudget)
{
    /// <summary>Blank lines tolerated on top of the header and the rows.</summary>
    public const long BlankLineAllowance = 10_000;

    /// <summary>Decompressed bytes allowed per expected row (a quoted id, a long value and CRLF fit in far less).</summary>
    public const long BytesPerRow = 256;

    /// <summary>No limit at all (the check stage, the guard's local check and tests).</summary>
    public static ScoringLimits None { get; } = new(long.MaxValue, long.MaxValue, Timeout.InfiniteTimeSpan);

    /// <summary>Limits for a solution of <paramref name="rows"/> rows: the rows, the header and 10,000 blank lines; 256 bytes a row plus 16 MiB.</summary>
    public static ScoringLimits For(long rows, TimeSpan timeBudget) => new(rows + 1 + BlankLineAllowance, (rows * BytesPerRow) + (16L << 20), timeBudget);
}

/// <summary>
/// Checks an <c>ID,TARGET</c> submission (the reference's own column names, in either order) in one streaming pass:
/// every expected id exactly once and no other, every value what the metric needs (finite; ≥ 0 for RMSLE; within [0, 1]
/// for log loss and accuracy); against a solution it also computes the public and private scores. Rows are parsed from
/// byte spans and looked up in arrays indexed by the integer id (or through the id dictionary for other ids), so a
/// 41.7M-row file costs a few seconds, not minutes.
/// </summary>
/// <remarks>
/// The one reader of submission files: the pipeline's check stage (<c>SubmissionFile.Check</c>), the deploy guard's check
/// and the leaderboard server's scoring all go through it, so a file passes or fails with the same message everywhere.
/// </remarks>
public static class SubmissionScorer
{
    /// <summary>Checks (and scores, when <paramref name="reference"/> has true values) a plain, .gz or .zip file.</summary>
    public static SubmissionCheck Check(string path, ReferenceRows reference) => Check(path, reference, ScoringLimits.None, CancellationToken.None);

    /// <summary>
    /// Checks and scores within <paramref name="limits"/>; a file past one is refused with a format error naming the limit.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (checked every few thousand lines).</exception>
    public static SubmissionCheck Check(string path, ReferenceRows reference, ScoringLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(limits);
        LineReader? reader = null;
        try
        {
            reader = LineReader.Open(path);
            return Check(reader, reference, limits, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            // a damaged gzip or zip, or a line past 1 MiB: the line where reading stopped, and why
            return new SubmissionCheck(0, null, null, new SubmissionFormatError((reader?.LineNumber ?? 0) + 1, "",
                $"cannot be read as CSV ({e.Message}); upload the CSV itself (plain, .gz or .zip) with the header '{reference.IdColumn},{reference.ValueColumn}'"));
        }
        finally
        {
            reader?.Dispose();
        }
    }

    private static SubmissionCheck Check(LineReader reader, ReferenceRows reference, ScoringLimits limits, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        long rows = 0;
        var idColumn = reference.IdColumn;
        var valueColumn = reference.ValueColumn;
        if (!reader.TryReadLine(out var headerLine))
        {
            return Fail(1, idColumn, $"the file is empty; expected the header '{idColumn},{valueColumn}'");
        }

        if (!IsText(headerLine))
        {
            return Fail(1, "", $"is not text: it starts with the bytes {Hex(headerLine)}; upload the CSV itself (plain, .gz or .zip) with the header '{idColumn},{valueColumn}'");
        }

        var header = Encoding.UTF8.GetString(headerLine).Split(',').Select(h => h.Trim().Trim('"')).ToArray();
        bool idFirst;
        if (header.Length == 2 && header[0] == idColumn && header[1] == valueColumn)
        {
            idFirst = true;
        }
        else if (header.Length == 2 && header[0] == valueColumn && header[1] == idColumn)
        {
            idFirst = false;
        }
        else
        {
            var wrong = header.FirstOrDefault(h => h != idColumn && h != valueColumn) ?? idColumn;
            return Fail(1, Numbers.Quote(Encoding.UTF8.GetBytes(wrong))[1..^1],
                $"header is {Numbers.Quote(headerLine)}, expected '{idColumn},{valueColumn}'");
        }

        var usage = reference.Usage;
        var actual = reference.Actual;
        var metric = reference.Metric;
        var index = reference.Index?.GetAlternateLookup<ReadOnlySpan<char>>();
        var streams = ReferenceRows.Streams(metric);
        var rmsle = metric == EvalMetric.Rmsle;
        var mae = metric == EvalMetric.Mae;
        var valueRule = ReferenceRows.ValueRule(metric);
        var chars = index is null ? [] : new char[256];

        // The metrics that are not sums of per-row terms (AUC, log loss, accuracy) keep every prediction and are scored
        // by EvalMetric at the end; RMSLE, RMSE and MAE are summed as the file streams by.
        var predicted = actual is not null && !streams ? new double[usage.Length] : null;
        var seen = new ulong[(usage.Length + 63) / 64];
        double sumPublic = 0, sumPrivate = 0;
        long nPublic = 0, nPrivate = 0;
        Span<Range> cells = stackalloc Range[2];
        while (reader.TryReadLine(out var line))
        {
            if (reader.LineNumber > limits.MaxLines)
            {
                return Fail(reader.LineNumber, "",
                    $"is past this competition's limit of {limits.MaxLines:N0} lines ({reference.Count:N0} rows, the header and {ScoringLimits.BlankLineAllowance:N0} blank lines); remove the blank lines");
            }

            if ((reader.LineNumber & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (reader.BytesRead > limits.MaxBytes)
                {
                    return Fail(reader.LineNumber, "",
                        $"is past this competition's limit of {limits.MaxBytes >> 20:N0} MiB of (decompressed) text for {reference.Count:N0} rows; write one '{idColumn},{valueColumn}' row per line, nothing else");
                }

                if (limits.TimeBudget != Timeout.InfiniteTimeSpan && System.Diagnostics.Stopwatch.GetElapsedTime(started) > limits.TimeBudget)
                {
                    return Fail(reader.LineNumber, "",
                        $"was reached when scoring stopped: the server scores a submission for at most {(limits.TimeBudget.TotalSeconds >= 1 ? $"{limits.TimeBudget.TotalSeconds:0.#} s" : $"{limits.TimeBudget.TotalMilliseconds:0.###} ms")}; this file does not count, submit a smaller or plain file");
                }
            }

            if (line.IsEmpty)
            {
                continue;
            }

            var fields = CsvFields.Split(line, cells);
            if (fields < 0)
            {
                return Fail(reader.LineNumber, valueColumn, $"{Numbers.Quote(line)} opens a quote that is never closed");
            }

            if (fields == 1)
            {
                return Fail(reader.LineNumber, valueColumn, $"{Numbers.Quote(line)} has 1 column, expected 2 ('{idColumn},{valueColumn}')");
            }

            if (fields > 2)
            {
                return Fail(reader.LineNumber, idFirst ? valueColumn : idColumn, $"{Numbers.Quote(line)} has more than 2 columns, expected '{idColumn},{valueColumn}'");
            }

            var idRange = idFirst ? cells[0] : cells[1];
            var valueCell = line[idFirst ? cells[1] : cells[0]];
            int slot, n = 0;
            if (index is { } lookup)
            {
                n = ReferenceRows.IdChars(line, idRange, ref chars);
                if (!lookup.TryGetValue(chars.AsSpan(0, n), out slot))
                {
                    return Fail(reader.LineNumber, idColumn, $"{idColumn} {ReferenceRows.QuoteId(chars.AsSpan(0, n))} is not in the sample submission; submit exactly its ids");
                }
            }
            else if (!(Numbers.TryParseRowId(line[idRange], out slot) || int.TryParse(line[idRange], NumberStyles.Integer, CultureInfo.InvariantCulture, out slot))
                || (uint)slot >= (uint)usage.Length || usage[slot] == 0)
            {
                return Fail(reader.LineNumber, idColumn, $"{idColumn} {Numbers.Quote(line[idRange])} is not in the sample submission; submit exactly its ids");
            }

            ref var word = ref seen[slot >> 6];
            var bit = 1UL << (slot & 63);
            if ((word & bit) != 0)
            {
                return Fail(reader.LineNumber, idColumn, $"{idColumn} {(index is null ? Numbers.Quote(line[idRange]) : ReferenceRows.QuoteId(chars.AsSpan(0, n)))} appears more than once; keep one row per id");
            }

            word |= bit;
            if (!Numbers.TryParseValue(valueCell, out var value) || !ReferenceRows.Accepts(metric, value))
            {
                return Fail(reader.LineNumber, valueColumn, $"{Numbers.Quote(valueCell)} is not {valueRule}");
            }

            rows++;
            if (actual is null)
            {
                continue;
            }

            if (predicted is not null)
            {
                predicted[slot] = value;
                continue;
            }

            var kind = usage[slot];
            if (kind is (byte)RowUsage.Public or (byte)RowUsage.Private)
            {
                var d = rmsle ? Math.Log(1.0 + value) - actual[slot] : value - actual[slot];
                var term = mae ? Math.Abs(d) : d * d;
                if (kind == (byte)RowUsage.Public)
                {
                    sumPublic += term;
                    nPublic++;
                }
                else
                {
                    sumPrivate += term;
                    nPrivate++;
                }
            }
        }

        if (rows != reference.Count)
        {
            var missing = reference.IdOf(FirstMissing(usage, seen));
            return Fail(reader.LineNumber + 1, idColumn,
                $"{reference.Count - rows} of the sample submission's {reference.Count} ids are missing, e.g. {idColumn} {ReferenceRows.QuoteId(missing)}; add one row per id");
        }

        return predicted is null
            ? new SubmissionCheck(rows, Finish(sumPublic, nPublic, mae), Finish(sumPrivate, nPrivate, mae), null)
            : new SubmissionCheck(rows, Collected(predicted, actual!, usage, RowUsage.Public, reference.PublicCount, metric),
                Collected(predicted, actual!, usage, RowUsage.Private, reference.PrivateCount, metric), null);

        SubmissionCheck Fail(long lineNumber, string column, string problem) =>
            new(rows, null, null, new SubmissionFormatError(lineNumber, column, problem));
    }

    /// <summary>Valid UTF-8 without control characters other than tab: what a CSV line holds.</summary>
    private static bool IsText(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
            {
                return false;
            }
        }

        return System.Text.Unicode.Utf8.IsValid(line);
    }

    /// <summary>The first bytes in hex, e.g. <c>89 50 4E 47 0D 0A 1A 0A …</c>.</summary>
    private static string Hex(ReadOnlySpan<byte> bytes) =>
        Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)]).Chunk(2).Aggregate(new StringBuilder(), (text, pair) => text.Append(text.Length == 0 ? "" : " ").Append(pair)).ToString()
        + (bytes.Length > 8 ? " …" : "");

    private static double? Finish(double sum, long n, bool mae) =>
        n == 0 ? null : mae ? sum / n : Math.Sqrt(sum / n);

    /// <summary>The metric over one board's rows, in slot order, by <see cref="EvalMetric.Score(ReadOnlySpan{double}, ReadOnlySpan{double})"/>.</summary>
    private static double? Collected(double[] predicted, float[] actual, byte[] usage, RowUsage board, int count, EvalMetric metric)
    {
        if (count == 0)
        {
            return null;
        }

        var p = new double[count];
        var y = new double[count];
        var k = 0;
        for (var slot = 0; slot < usage.Length && k < count; slot++)
        {
            if (usage[slot] == (byte)board)
            {
                p[k] = predicted[slot];
                y[k] = actual[slot];
                k++;
            }
        }

        return metric.Score(p, y);
    }

    private static int FirstMissing(byte[] usage, ulong[] seen)
    {
        for (var id = 0; id < usage.Length; id++)
        {
            if (usage[id] != 0 && (seen[id >> 6] & (1UL << (id & 63))) == 0)
            {
                return id;
            }
        }

        return -1;
    }
}
