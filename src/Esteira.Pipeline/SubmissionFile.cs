using System.Buffers.Text;
using System.Globalization;
using System.IO.Compression;

namespace Esteira.Pipeline;

/// <summary>Writes and checks a <c>row_id,meter_reading</c> submission file.</summary>
public static class SubmissionFile
{
    /// <summary>
    /// Writes the submission to a temporary file beside <paramref name="path"/> and renames it into place, so
    /// that a crash never leaves a half-written file under the final name. Gzips when the path ends in .gz.
    /// </summary>
    public static void WriteAtomic(string path, int[] rowIds, float[] predictions)
    {
        AtomicFile.Write(path, file =>
        {
            using var output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
            Write(output, rowIds, predictions);
        });
    }

    private static void Write(Stream output, ReadOnlySpan<int> rowIds, ReadOnlySpan<float> predictions)
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

    /// <summary>
    /// Reads a submission back and checks it against the sample submission's row ids: every row id exactly once,
    /// no other, every value finite and ≥ 0. Returns the number of rows.
    /// </summary>
    public static long Check(string path, int[] sampleRowIds)
    {
        var expected = RowIdSet.Of(sampleRowIds);
        var seen = new RowIdSet(sampleRowIds);
        using var file = File.OpenRead(path);
        Stream input = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(input);
        var name = Path.GetFileName(path);
        var header = reader.ReadLine();
        if (header?.Trim() != "row_id,meter_reading")
        {
            throw Bad(name, 1, null, $"header is '{header}', expected 'row_id,meter_reading'");
        }

        long line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            var comma = text.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || !int.TryParse(text.AsSpan(0, comma), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
            {
                throw Bad(name, line, "row_id", $"'{text}' does not start with an integer row_id");
            }

            if (!float.TryParse(text.AsSpan(comma + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value) || value < 0)
            {
                throw Bad(name, line, "meter_reading", $"'{text[(comma + 1)..]}' is not a finite number ≥ 0");
            }

            if (!expected.Contains(id))
            {
                throw Bad(name, line, "row_id", $"row_id {id} is not in sample_submission.csv");
            }

            if (!seen.Add(id))
            {
                throw Bad(name, line, "row_id", $"row_id {id} appears more than once");
            }
        }

        if (seen.Count != expected.Count)
        {
            var missing = sampleRowIds.First(id => !seen.Contains(id));
            throw Bad(name, line, "row_id", $"{expected.Count - seen.Count} row_ids of sample_submission.csv are missing, first {missing}");
        }

        return seen.Count;
    }

    private static EsteiraException Bad(string file, long line, string? column, string problem) =>
        new(ErrorCode.PipelineFailed, $"{file}:{line}{(column is null ? "" : $" column '{column}'")}: {problem}; the submission failed its check and must not be sent");
}
