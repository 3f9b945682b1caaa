using System.Globalization;
using System.Text;

namespace Esteira.Data.Submissions;

/// <summary>Allocation-free parsing of the two CSV cells a submission row has.</summary>
internal static class Numbers
{
    private static readonly double[] Pow10 = Enumerable.Range(0, 19).Select(i => Math.Pow(10, i)).ToArray();

    /// <summary>A non-negative int written with digits only.</summary>
    public static bool TryParseRowId(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        if (s.Length is 0 or > 10)
        {
            return false;
        }

        long v = 0;
        foreach (var c in s)
        {
            var d = (uint)(c - '0');
            if (d > 9)
            {
                return false;
            }

            v = (v * 10) + d;
        }

        if (v > int.MaxValue)
        {
            return false;
        }

        value = (int)v;
        return true;
    }

    /// <summary>
    /// A number. Plain decimals (<c>123.4567</c>) take a fast path that is correctly rounded (the mantissa and the power of
    /// ten are both exact doubles, so the one division rounds once); anything else (signs, exponents, NaN) goes to the
    /// framework's parser.
    /// </summary>
    public static bool TryParseValue(ReadOnlySpan<byte> s, out double value)
    {
        ulong mantissa = 0;
        var digits = 0;
        var fraction = -1;
        var simple = s.Length > 0;
        foreach (var c in s)
        {
            var d = (uint)(c - '0');
            if (d <= 9)
            {
                if (++digits > 15)
                {
                    simple = false;
                    break;
                }

                mantissa = (mantissa * 10) + d;
                if (fraction >= 0)
                {
                    fraction++;
                }
            }
            else if (c == (byte)'.' && fraction < 0)
            {
                fraction = 0;
            }
            else
            {
                simple = false;
                break;
            }
        }

        if (simple && digits > 0)
        {
            value = fraction <= 0 ? mantissa : mantissa / Pow10[fraction];
            return true;
        }

        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A cell quoted for an error message: at most 40 characters, control characters shown as '?'.</summary>
    public static string Quote(ReadOnlySpan<byte> s)
    {
        var text = Encoding.UTF8.GetString(s.Length > 40 ? s[..40] : s);
        var clean = new string(text.Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
        return $"'{clean}{(s.Length > 40 ? "…" : "")}'";
    }
}
