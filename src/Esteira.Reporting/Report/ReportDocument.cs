using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Esteira.Reporting.Report;

/// <summary>One block of a report; the same blocks render to Markdown (MR notes, PR comments) and to HTML.</summary>
public abstract record Block;

/// <summary>A heading; level 2 is a report's top level so that the note nests under the platform's own title.</summary>
public sealed record Heading(int Level, string Text) : Block;

/// <summary>A paragraph. Inline formatting is limited to <c>**bold**</c> and <c>`code`</c>, which both renderers understand.</summary>
public sealed record Paragraph(string Text) : Block;

/// <summary>A bulleted list (same inline formatting as <see cref="Paragraph"/>).</summary>
public sealed record BulletList(IReadOnlyList<string> Items) : Block;

/// <summary>How a column's cells line up.</summary>
public enum Align
{
    /// <summary>Cells align to the left (text).</summary>
    Left,
    /// <summary>Cells align to the right (numbers).</summary>
    Right,
}

/// <summary>A table; cells use the inline formatting of <see cref="Paragraph"/>.</summary>
public sealed record Table(IReadOnlyList<string> Headers, IReadOnlyList<Align> Alignments, IReadOnlyList<IReadOnlyList<string>> Rows) : Block;

/// <summary>A PNG beside the report, referenced by its file name so that the folder can move as a whole.</summary>
public sealed record Figure(string Alt, string File, int Width, int Height) : Block;

/// <summary>A report: blocks in order, renderable as Markdown or HTML.</summary>
public sealed record ReportDocument(string Title, IReadOnlyList<Block> Blocks)
{
    /// <summary>GitHub-flavoured Markdown that GitLab notes and GitHub comments both render (pipe tables, relative images).</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        foreach (var block in Blocks)
        {
            switch (block)
            {
                case Heading h:
                    text.Append(new string('#', Math.Clamp(h.Level, 1, 6))).Append(' ').Append(h.Text).Append("\n\n");
                    break;
                case Paragraph p:
                    text.Append(p.Text).Append("\n\n");
                    break;
                case BulletList list:
                    foreach (var item in list.Items)
                    {
                        text.Append("- ").Append(item).Append('\n');
                    }

                    text.Append('\n');
                    break;
                case Table t:
                    text.Append("| ").AppendJoin(" | ", t.Headers.Select(Cell)).Append(" |\n");
                    text.Append('|').AppendJoin('|', t.Alignments.Select(a => a == Align.Right ? " ---: " : " --- ")).Append("|\n");
                    foreach (var row in t.Rows)
                    {
                        text.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
                    }

                    text.Append('\n');
                    break;
                case Figure i:
                    text.Append("![").Append(i.Alt).Append("](").Append(Uri.EscapeDataString(i.File)).Append(")\n\n");
                    break;
            }
        }

        return text.ToString().TrimEnd() + "\n";
    }

    /// <summary>A standalone HTML page with the same content; images are referenced relatively, like the Markdown.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(WebUtility.HtmlEncode(Title)).Append("</title>\n")
            .Append("<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}")
            .Append("table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px}th{background:#f4f4f4}")
            .Append("td.r,th.r{text-align:right}code{background:#f4f4f4;padding:0 3px}img{max-width:100%}</style>\n</head>\n<body>\n");
        foreach (var block in Blocks)
        {
            switch (block)
            {
                case Heading h:
                    var level = Math.Clamp(h.Level, 1, 6);
                    html.Append($"<h{level}>").Append(Inline(h.Text)).Append($"</h{level}>\n");
                    break;
                case Paragraph p:
                    html.Append("<p>").Append(Inline(p.Text)).Append("</p>\n");
                    break;
                case BulletList list:
                    html.Append("<ul>\n");
                    foreach (var item in list.Items)
                    {
                        html.Append("<li>").Append(Inline(item)).Append("</li>\n");
                    }

                    html.Append("</ul>\n");
                    break;
                case Table t:
                    html.Append("<table>\n<thead><tr>");
                    for (var c = 0; c < t.Headers.Count; c++)
                    {
                        html.Append(t.Alignments[c] == Align.Right ? "<th class=\"r\">" : "<th>").Append(Inline(t.Headers[c])).Append("</th>");
                    }

                    html.Append("</tr></thead>\n<tbody>\n");
                    foreach (var row in t.Rows)
                    {
                        html.Append("<tr>");
                        for (var c = 0; c < row.Count; c++)
                        {
                            html.Append(t.Alignments[c] == Align.Right ? "<td class=\"r\">" : "<td>").Append(Inline(row[c])).Append("</td>");
                        }

                        html.Append("</tr>\n");
                    }

                    html.Append("</tbody>\n</table>\n");
                    break;
                case Figure i:
                    html.Append("<p><img src=\"").Append(WebUtility.HtmlEncode(Uri.EscapeDataString(i.File))).Append("\" alt=\"").Append(WebUtility.HtmlEncode(i.Alt))
                        .Append($"\" width=\"{i.Width}\" height=\"{i.Height}\"></p>\n");
                    break;
            }
        }

        return html.Append("</body>\n</html>\n").ToString();
    }

    /// <summary>Every image the report references.</summary>
    public IEnumerable<Figure> Figures => Blocks.OfType<Figure>();

    // A '|' would end the cell and a newline the row.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static string Inline(string text)
    {
        var encoded = WebUtility.HtmlEncode(text);
        encoded = InlineMarkup.Link().Replace(encoded, "<a href=\"$2\">$1</a>");
        encoded = InlineMarkup.Code().Replace(encoded, "<code>$1</code>");
        return InlineMarkup.Bold().Replace(encoded, "<strong>$1</strong>");
    }
}

internal static partial class InlineMarkup
{
    [GeneratedRegex("`([^`]+)`")]
    public static partial Regex Code();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    public static partial Regex Bold();

    // [text](relative-file): only plain file names, which is all the report links to (files beside it).
    [GeneratedRegex(@"\[([^\]]+)\]\(([A-Za-z0-9_.+-]+)\)")]
    public static partial Regex Link();
}
