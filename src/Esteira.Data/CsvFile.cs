using System.Globalization;
using Sylvan.Data.Csv;

namespace Esteira.Data;

/// <summary>
/// A forward-only CSV reader over one file that knows where it is, so that every parse error names
/// the file, the line and the column. Fields are read as spans: no string per cell.
/// </summary>
internal sealed class CsvFile : IDisposable
{
    /// <summary>The longest line a file may hold, in characters (Sylvan's read buffer; a GEPIII line is under 200).</summary>
    public const int MaxLineLength = 1 << 17;

    private readonly CsvDataReader _reader;
    private readonly int[] _ordinals;
    private readonly string[] _columns;

    private CsvFile(string display, CsvDataReader reader, string[] columns, int[] ordinals)
    {
        Display = display;
        _reader = reader;
        _columns = columns;
        _ordinals = ordinals;
        Header = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetName(i).Trim()).ToArray();
    }

    public string Display { get; }

    /// <summary>Every column name of the header, trimmed, in file order.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>1-based line number of the current row (the header is line 1).</summary>
    public long Line { get; private set; } = 1;

    public static CsvFile Open(DatasetSource source, string fileName, params string[] columns)
    {
        var display = source.DisplayName(fileName);
        var text = new StreamReader(source.OpenRead(fileName), System.Text.Encoding.UTF8, true, 1 << 16);
        CsvDataReader reader;
        try
        {
            reader = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = true, BufferSize = MaxLineLength, Delimiter = ',' });
        }
        catch (CsvRecordTooLargeException)
        {
            text.Dispose();
            throw TooLong(display, 1);
        }
        catch (EsteiraException)
        {
            text.Dispose(); // a small file is read whole with its header: a damaged gzip or zip member fails here
            throw;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or CsvFormatException)
        {
            text.Dispose();
            throw Damaged(display, 1, e);
        }

        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var name = reader.GetName(i).Trim();
            if (!seen.TryAdd(name, i))
            {
                reader.Dispose();
                throw EsteiraException.BadInput(display, 1, name,
                    $"the header names this column twice (fields {seen[name] + 1} and {i + 1})", "rename or remove one of them");
            }
        }

        var ordinals = new int[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            ordinals[i] = OrdinalOf(reader, columns[i]);
            if (ordinals[i] < 0)
            {
                var found = string.Join(",", Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
                reader.Dispose();
                throw EsteiraException.BadInput(display, 1, columns[i],
                    $"missing column (header is '{found}', expected '{string.Join(",", columns)}')",
                    "fix the header or pass the right file");
            }
        }

        return new CsvFile(display, reader, columns, ordinals);
    }

    public bool Read()
    {
        try
        {
            if (!_reader.Read())
            {
                return Line > 1
                    ? false
                    : throw EsteiraException.BadInput(Display, null, null, "has a header but no rows", "the file is empty or was cut short; download or copy it again");
            }
        }
        catch (CsvRecordTooLargeException)
        {
            throw TooLong(Display, Line + 1);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or CsvFormatException)
        {
            throw Damaged(Display, Line + 1, e);
        }

        Line++;
        if (_reader.RowFieldCount != _reader.FieldCount)
        {
            throw EsteiraException.BadInput(Display, Line, null,
                $"row has {_reader.RowFieldCount} fields, expected {_reader.FieldCount} as in the header",
                _reader.RowFieldCount < _reader.FieldCount
                    ? "the file may be truncated; fix or re-download it"
                    : "two rows may have merged where a line break was lost; fix or re-download it");
        }

        return true;
    }

    public ReadOnlySpan<char> Span(int column) => _reader.GetFieldSpan(_ordinals[column]);

    /// <summary>The current row's field at header position <paramref name="ordinal"/> (not one of the columns asked for at open).</summary>
    public ReadOnlySpan<char> Field(int ordinal) => _reader.GetFieldSpan(ordinal);

    public int Int(int column)
    {
        var span = Span(column);
        if (int.TryParse(span, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        // Some exports write integer ids as "12.0".
        if (double.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue)
        {
            return (int)d;
        }

        throw Bad(column, $"'{Shorten(span)}' is not an integer");
    }

    /// <summary>A float; an empty cell is NaN (missing).</summary>
    public float FloatOrNaN(int column)
    {
        var span = Span(column);
        if (span.IsEmpty)
        {
            return float.NaN;
        }

        if (float.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        throw Bad(column, $"'{Shorten(span)}' is not a number");
    }

    public float Float(int column)
    {
        var span = Span(column);
        if (float.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        throw Bad(column, span.IsEmpty ? "empty cell, expected a number" : $"'{Shorten(span)}' is not a number");
    }

    /// <summary>The timestamp as whole hours since 1970-01-01 00:00 (of whatever clock the file uses).</summary>
    public int Hour(int column)
    {
        var span = Span(column);
        return Timestamps.TryParseHour(span, out var hour, out var problem)
            ? hour
            : throw Bad(column, $"'{Shorten(span)}' {problem}");
    }

    public string String(int column) => Span(column).ToString();

    public EsteiraException Bad(int column, string problem, string remedy = "fix that cell or remove the row") =>
        EsteiraException.BadInput(Display, Line, _columns[column], problem, remedy);

    public void Dispose() => _reader.Dispose();

    private static EsteiraException Damaged(string display, long line, Exception e) =>
        EsteiraException.BadInput(display, line, null,
            $"cannot be read ({e.Message.TrimEnd('.')}): the file or archive is truncated or corrupt", "download or copy it again");

    private static EsteiraException TooLong(string display, long line) =>
        EsteiraException.BadInput(display, line, null,
            $"the line is longer than {MaxLineLength} bytes", "the file is probably not CSV or has lost its line breaks; check it or download it again");

    private static int OrdinalOf(CsvDataReader reader, string column)
    {
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (string.Equals(reader.GetName(i).Trim(), column, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Shorten(ReadOnlySpan<char> span) => span.Length <= 40 ? span.ToString() : span[..40].ToString() + "…";
}
