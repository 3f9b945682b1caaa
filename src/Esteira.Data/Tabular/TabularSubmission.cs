using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Esteira.Data.Tabular;

/// <summary>Writes and checks a submission whose ids are strings, under the sample submission's own header.</summary>
public static class TabularSubmission
{
    /// <summary>
    /// Writes <c>id,value</c> rows under <paramref name="header"/> to a temporary file beside <paramref name="path"/> and
    /// renames it into place; gzips when the path ends in .gz. Ids are written as read (quoted when they must be),
    /// values in the invariant culture, shortest round-trip form.
    /// </summary>
    public static void WriteAtomic(string path, IReadOnlyList<string> header, IReadOnlyList<string> ids, float[] predictions)
    {
        if (ids.Count != predictions.Length)
        {
            throw new ArgumentException($"{ids.Count} ids but {predictions.Length} predictions");
        }

        AtomicFile.Write(path, file =>
        {
            using var output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
            using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16);
            writer.NewLine = "\n";
            writer.WriteLine(string.Join(",", header.Select(Quote)));
            for (var i = 0; i < ids.Count; i++)
            {
                writer.Write(Quote(ids[i]));
                writer.Write(',');
                writer.WriteLine(predictions[i].ToString("R", CultureInfo.InvariantCulture));
            }
        });
    }

    /// <summary>
    /// Reads a submission back and checks it against the sample submission: the same header, every sample id exactly
    /// once and no other, every value finite (≥ 0 when <paramref name="nonNegative"/>, within [0, 1] when
    /// <paramref name="probability"/>). Returns the number of rows.
    /// </summary>
    public static long Check(string path, IReadOnlyList<string> sampleHeader, IReadOnlyList<string> sampleIds, bool nonNegative, bool probability)
    {
        var name = Path.GetFileName(path);
        var logical = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;
        var expected = new HashSet<string>(sampleIds, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var source = DatasetSource.Open(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using var csv = CsvFile.Open(source, logical);
            if (!csv.Header.SequenceEqual(sampleHeader.Select(h => h.Trim())))
            {
                throw Bad(name, 1, null, $"header is '{string.Join(",", csv.Header)}', expected '{string.Join(",", sampleHeader)}'");
            }

            while (csv.Read())
            {
                var id = csv.Field(0).ToString();
                var text = csv.Field(1);
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value)
                    || (nonNegative && value < 0) || (probability && value is < 0 or > 1))
                {
                    throw Bad(name, csv.Line, sampleHeader[1],
                        $"'{text}' is not {(probability ? "a probability in [0, 1]" : nonNegative ? "a finite number ≥ 0" : "a finite number")}");
                }

                if (!expected.Contains(id))
                {
                    throw Bad(name, csv.Line, sampleHeader[0], $"id '{id}' is not in the sample submission");
                }

                if (!seen.Add(id))
                {
                    throw Bad(name, csv.Line, sampleHeader[0], $"id '{id}' appears more than once");
                }
            }

            if (seen.Count != expected.Count)
            {
                throw Bad(name, csv.Line, sampleHeader[0], $"{expected.Count - seen.Count} ids of the sample submission are missing, first '{sampleIds.First(i => !seen.Contains(i))}'");
            }
        }
        catch (EsteiraException e) when (e.Code == ErrorCode.BadInput)
        {
            throw new EsteiraException(ErrorCode.PipelineFailed, $"{e.Message}; the submission failed its check and must not be sent", e);
        }

        return seen.Count;
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    private static EsteiraException Bad(string file, long line, string? column, string problem) =>
        new(ErrorCode.PipelineFailed, $"{file}:{line}{(column is null ? "" : $" column '{column}'")}: {problem}; the submission failed its check and must not be sent");
}
