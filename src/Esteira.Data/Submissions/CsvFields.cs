namespace Esteira.Data.Submissions;

/// <summary>
/// Splits one CSV line into fields as RFC 4180 writes them: a field may be enclosed in double quotes (pandas
/// <c>QUOTE_ALL</c>, Excel), a comma inside quotes is data, and the enclosing quotes are not part of the value.
/// </summary>
internal static class CsvFields
{
    /// <summary>
    /// Fills <paramref name="fields"/> with the ranges of the first fields (enclosing quotes removed) and returns how many
    /// fields the line has (possibly more than <paramref name="fields"/> holds), or -1 when a quote is never closed.
    /// </summary>
    public static int Split(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        if (line.IndexOf((byte)'"') < 0)
        {
            // The common case: no quotes at all, so every comma separates.
            while (true)
            {
                var comma = line[start..].IndexOf((byte)',');
                if (comma < 0)
                {
                    break;
                }

                Add(line, fields, ref count, start, start + comma);
                start += comma + 1;
            }

            Add(line, fields, ref count, start, line.Length);
            return count;
        }

        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == (byte)'"')
            {
                // An escaped quote ("") toggles twice and so stays inside the field.
                quoted = !quoted;
            }
            else if (line[i] == (byte)',' && !quoted)
            {
                Add(line, fields, ref count, start, i);
                start = i + 1;
            }
        }

        if (quoted)
        {
            return -1;
        }

        Add(line, fields, ref count, start, line.Length);
        return count;
    }

    private static void Add(ReadOnlySpan<byte> line, Span<Range> fields, ref int count, int start, int end)
    {
        if (count < fields.Length)
        {
            fields[count] = end - start >= 2 && line[start] == (byte)'"' && line[end - 1] == (byte)'"' ? (start + 1)..(end - 1) : start..end;
        }

        count++;
    }
}
