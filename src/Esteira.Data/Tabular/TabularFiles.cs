namespace Esteira.Data.Tabular;

/// <summary>One CSV file read whole as text columns: every cell a string, equal cells of a column one instance.</summary>
public sealed class RawTable
{
    /// <summary>The file as the user knows it, e.g. <c>data/train.csv.gz</c> or <c>comp.zip!train.csv</c>.</summary>
    public required string Display { get; init; }

    /// <summary>The header's column names, trimmed.</summary>
    public required string[] Header { get; init; }

    /// <summary>One array per header column, one value per row, as read (not trimmed).</summary>
    public required string[][] Columns { get; init; }

    /// <summary>The file line each row starts on (the header is line 1).</summary>
    public required int[] Lines { get; init; }

    /// <summary>Number of data rows.</summary>
    public int Rows => Lines.Length;

    /// <summary>The position of column <paramref name="name"/> (any case), or −1.</summary>
    public int IndexOf(string name) => Array.FindIndex(Header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The values of column <paramref name="name"/>, or null when the file has none.</summary>
    public string[]? Column(string name) => IndexOf(name) is var i and >= 0 ? Columns[i] : null;
}

/// <summary>The files of a Kaggle-style tabular competition: train.csv, test.csv and the sample submission.</summary>
public static class TabularFiles
{
    /// <summary>The training rows, with the target.</summary>
    public const string TrainFile = "train.csv";
    /// <summary>The rows to predict.</summary>
    public const string TestFile = "test.csv";
    /// <summary>The expected submission shape.</summary>
    public const string SampleFile = "sample_submission.csv";

    /// <summary>The sample submission's other usual name (e.g. Bike Sharing Demand's).</summary>
    public const string SampleFileCamel = "sampleSubmission.csv";

    /// <summary>Distinct values of a column kept as shared instances; past this, each cell is its own string.</summary>
    private const int InternLimit = 1 << 16;

    /// <summary>True when the dataset holds train.csv, test.csv and a sample submission (each plain or gzipped).</summary>
    public static bool Recognises(DatasetSource source) =>
        source.Has(TrainFile) && source.Has(TestFile) && SampleName(source) is not null;

    /// <summary>The sample submission's name in this dataset, or null when it has none.</summary>
    public static string? SampleName(DatasetSource source) =>
        source.Has(SampleFile) ? SampleFile : source.Has(SampleFileCamel) ? SampleFileCamel : null;

    /// <summary>The files the dataset actually holds, in the order train, test, sample submission.</summary>
    public static IReadOnlyList<string> Present(DatasetSource source) =>
        new[] { TrainFile, TestFile, SampleName(source) }.Where(f => f is not null && source.Has(f)).Select(f => f!).ToList();

    /// <summary>Reads a whole file into text columns; CsvFile refuses ragged rows, damaged archives and empty files.</summary>
    public static RawTable Read(DatasetSource source, string fileName, IProgress<long>? rowsRead = null)
    {
        if (!source.Has(fileName))
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"{source.Path}: missing file {fileName} (or {fileName}.gz); a tabular competition needs train.csv, test.csv and sample_submission.csv (or sampleSubmission.csv)");
        }

        using var csv = CsvFile.Open(source, fileName);
        var header = csv.Header.ToArray();
        var columns = header.Select(_ => new List<string>()).ToArray();
        var interned = header.Select(_ => new Dictionary<string, string>(StringComparer.Ordinal)).ToArray();
        var lookups = interned.Select(d => d.GetAlternateLookup<ReadOnlySpan<char>>()).ToArray();
        var lines = new List<int>();
        while (csv.Read())
        {
            for (var c = 0; c < header.Length; c++)
            {
                var span = csv.Field(c);
                if (!lookups[c].TryGetValue(span, out var value))
                {
                    value = span.ToString();
                    if (interned[c].Count < InternLimit)
                    {
                        interned[c].Add(value, value);
                    }
                }

                columns[c].Add(value);
            }

            lines.Add((int)Math.Min(int.MaxValue, csv.Line));
            if ((lines.Count & 0xFFFF) == 0)
            {
                rowsRead?.Report(lines.Count);
            }
        }

        rowsRead?.Report(lines.Count);
        return new RawTable { Display = csv.Display, Header = header, Columns = columns.Select(c => c.ToArray()).ToArray(), Lines = [.. lines] };
    }
}
