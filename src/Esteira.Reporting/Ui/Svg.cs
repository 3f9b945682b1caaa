using System.Globalization;
using System.Text;

namespace Esteira.Reporting.Ui;

/// <summary>Inline SVG charts drawn on the server: no script, no external file, readable without a network.</summary>
internal static class Svg
{
    private static readonly string[] Palette = ["#3b6fb6", "#d9822b", "#3a9c5f", "#b5475a", "#7a5cb8"];

    /// <summary>Per-fold values as grouped bars: one group per fold, one bar per series (a run).</summary>
    /// <param name="id">The element id.</param>
    /// <param name="title">Shown above the bars.</param>
    /// <param name="series">Each series' label and its values by fold.</param>
    public static string FoldBars(string id, string title, IReadOnlyList<(string Label, IReadOnlyDictionary<int, double> Folds)> series)
    {
        var folds = series.SelectMany(s => s.Folds.Keys).Distinct().Order().ToList();
        var values = series.SelectMany(s => s.Folds.Values).Where(v => !double.IsNaN(v) && !double.IsInfinity(v)).ToList();
        if (folds.Count == 0 || values.Count == 0)
        {
            return "<p class=\"muted\">no per-fold values recorded</p>";
        }

        const int width = 640, height = 260, left = 56, right = 16, top = 28, bottom = 40;
        var max = Math.Max(values.Max(), 1e-12) * 1.1;
        var plotWidth = width - left - right;
        var plotHeight = height - top - bottom;
        var group = (double)plotWidth / folds.Count;
        var bar = group * 0.8 / series.Count;
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg id=\"{id}\" class=\"chart\" role=\"img\" aria-label=\"{Html.E(title)}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">"));
        svg.Append(Inv($"<text x=\"{left}\" y=\"16\" class=\"title\">{Html.E(title)}</text>"));
        for (var tick = 0; tick <= 4; tick++)
        {
            var value = max * tick / 4;
            var y = top + plotHeight - (plotHeight * tick / 4.0);
            svg.Append(Inv($"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" class=\"grid\"/>"));
            svg.Append(Inv($"<text x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" class=\"axis\">{value:0.###}</text>"));
        }

        for (var f = 0; f < folds.Count; f++)
        {
            var x0 = left + (group * f) + (group * 0.1);
            for (var s = 0; s < series.Count; s++)
            {
                if (!series[s].Folds.TryGetValue(folds[f], out var v) || double.IsNaN(v) || double.IsInfinity(v))
                {
                    continue;
                }

                var h = plotHeight * v / max;
                var x = x0 + (bar * s);
                svg.Append(Inv($"<rect class=\"bar\" data-fold=\"{folds[f]}\" data-series=\"{s}\" x=\"{x:0.#}\" y=\"{top + plotHeight - h:0.#}\" width=\"{Math.Max(bar - 2, 1):0.#}\" height=\"{h:0.#}\" fill=\"{Palette[s % Palette.Length]}\"><title>{Html.E(series[s].Label)} fold {folds[f]}: {v:0.0000}</title></rect>"));
            }

            svg.Append(Inv($"<text x=\"{left + (group * f) + (group / 2):0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\" class=\"axis\">fold {folds[f]}</text>"));
        }

        if (series.Count > 1)
        {
            var lx = (double)left;
            for (var s = 0; s < series.Count; s++)
            {
                svg.Append(Inv($"<rect x=\"{lx:0.#}\" y=\"{height - 14}\" width=\"10\" height=\"10\" fill=\"{Palette[s % Palette.Length]}\"/>"));
                svg.Append(Inv($"<text x=\"{lx + 14:0.#}\" y=\"{height - 5}\" class=\"axis\">{Html.E(series[s].Label)}</text>"));
                lx += 24 + (7 * series[s].Label.Length);
            }
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>A scatter of (x, y) points with a y = x line, e.g. CV against public score.</summary>
    public static string Scatter(string id, string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y, string Label)> points)
    {
        if (points.Count == 0)
        {
            return "<p class=\"muted\">no submission has both a CV and a public score yet</p>";
        }

        const int width = 480, height = 360, left = 60, right = 20, top = 28, bottom = 48;
        var lo = Math.Min(points.Min(p => Math.Min(p.X, p.Y)), double.MaxValue);
        var hi = points.Max(p => Math.Max(p.X, p.Y));
        var pad = Math.Max((hi - lo) * 0.1, 1e-3);
        lo -= pad;
        hi += pad;
        double X(double v) => left + ((width - left - right) * (v - lo) / (hi - lo));
        double Y(double v) => top + (height - top - bottom) * (1 - ((v - lo) / (hi - lo)));
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg id=\"{id}\" class=\"chart\" role=\"img\" aria-label=\"{Html.E(title)}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">"));
        svg.Append(Inv($"<text x=\"{left}\" y=\"16\" class=\"title\">{Html.E(title)}</text>"));
        svg.Append(Inv($"<line class=\"diagonal\" x1=\"{X(lo):0.#}\" y1=\"{Y(lo):0.#}\" x2=\"{X(hi):0.#}\" y2=\"{Y(hi):0.#}\"/>"));
        svg.Append(Inv($"<line class=\"grid\" x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\"/>"));
        svg.Append(Inv($"<line class=\"grid\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\"/>"));
        for (var tick = 0; tick <= 4; tick++)
        {
            var v = lo + ((hi - lo) * tick / 4);
            svg.Append(Inv($"<text x=\"{X(v):0.#}\" y=\"{height - bottom + 14}\" text-anchor=\"middle\" class=\"axis\">{v:0.###}</text>"));
            svg.Append(Inv($"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.#}\" text-anchor=\"end\" class=\"axis\">{v:0.###}</text>"));
        }

        svg.Append(Inv($"<text x=\"{(left + width - right) / 2}\" y=\"{height - 8}\" text-anchor=\"middle\" class=\"axis\">{Html.E(xLabel)}</text>"));
        svg.Append(Inv($"<text x=\"14\" y=\"{(top + height - bottom) / 2}\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 14 {(top + height - bottom) / 2})\">{Html.E(yLabel)}</text>"));
        foreach (var (x, y, label) in points)
        {
            svg.Append(Inv($"<circle class=\"point\" cx=\"{X(x):0.#}\" cy=\"{Y(y):0.#}\" r=\"5\"><title>{Html.E(label)}: {xLabel} {x:0.0000}, {yLabel} {y:0.0000}</title></circle>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
