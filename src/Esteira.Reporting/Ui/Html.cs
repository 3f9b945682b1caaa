using System.Globalization;
using System.Net;
using System.Text;

namespace Esteira.Reporting.Ui;

/// <summary>Small helpers for server-rendered HTML: every value goes through <see cref="E"/> (HTML-encoded).</summary>
internal static class Html
{
    /// <summary>HTML-encodes text (null renders as an empty string).</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A metric value with four decimals, or an em dash.</summary>
    public static string Score(double? value) => value switch
    {
        null or double.NaN => "—",
        { } v when Math.Abs(v) < 1e15 && v == Math.Floor(v) => v.ToString("#,0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.0000", CultureInfo.InvariantCulture),
    };

    /// <summary>A signed difference with four decimals.</summary>
    public static string Delta(double? value) =>
        value is { } v && !double.IsNaN(v) ? v.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture) : "—";

    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "—";

    public static string Duration(TimeSpan? span) => span switch
    {
        null => "—",
        { TotalSeconds: < 60 } s => s.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
        { TotalHours: < 1 } s => $"{(int)s.TotalMinutes} min {s.Seconds} s",
        { } s => $"{(int)s.TotalHours} h {s.Minutes} min",
    };

    public static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The page around <paramref name="body"/>: header with navigation and the (redacted) store location.</summary>
    public static string Page(string title, string location, string body)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append("<title>").Append(E(title)).Append(" · esteira</title>");
        html.Append("<link rel=\"icon\" href=\"data:,\">");
        html.Append("<link rel=\"stylesheet\" href=\"/static/esteira.css\"></head><body>");
        html.Append("<header><a class=\"brand\" href=\"/\">esteira</a><nav><a href=\"/\">Runs</a><a href=\"/submissions\">Submissions</a></nav>");
        html.Append("<span class=\"store\" title=\"tracking store\">").Append(E(location)).Append("</span></header><main>");
        html.Append(body);
        html.Append("</main>");
        html.Append("<script src=\"/static/esteira.js\"></script>");

        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>A two-column table of key/value pairs, or a note when there are none.</summary>
    public static string KeyValues(string id, IEnumerable<KeyValuePair<string, string>> pairs, string empty)
    {
        var list = pairs.ToList();
        if (list.Count == 0)
        {
            return $"<p class=\"muted\">{E(empty)}</p>";
        }

        var html = new StringBuilder($"<table class=\"kv\" id=\"{id}\"><tbody>");
        foreach (var (key, value) in list)
        {
            html.Append("<tr><th>").Append(E(key)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }
}
