using System.Text.Json;

namespace Esteira.Tests;

public sealed class BlendTests
{
    [Fact]
    public void A_blend_of_two_tracked_runs_is_a_run_no_worse_than_its_best_part_and_reproducible()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var second = Path.Combine(root, "experiments", "shallow");
        Directory.CreateDirectory(second);
        File.WriteAllText(Path.Combine(second, "experiment.yaml"), "kind: lightgbm\nseed: 9\nparams:\n  iterations: 15\n  leaves: 4\n");
        var run = Cli.Esteira(root, "run", "--json");
        Assert.True(run.Exit == 0, run.Err);
        var parts = JsonDocument.Parse(run.Out).RootElement.GetProperty("experiments").EnumerateArray()
            .Select(e => e.GetProperty("result").GetProperty("cv_rmsle").GetDouble()).ToList();

        var first = Cli.Esteira(root, "blend", "1", "2");
        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains("blend → run 3", first.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "out", "blend", "submission.csv.gz")));

        var shown = Cli.Esteira(root, "runs", "show", "3", "--json");
        Assert.True(shown.Exit == 0, shown.Err);
        using var json = JsonDocument.Parse(shown.Out);
        var text = json.RootElement.ToString();
        Assert.Contains("blend", text, StringComparison.Ordinal);
        var blendCv = FindMetric(json.RootElement, "cv_rmsle");
        Assert.True(blendCv <= parts.Min() + 1e-4, $"blend {blendCv} vs parts {string.Join(", ", parts)}");

        // Reproducible: the same parts give the same weights and score.
        var again = Cli.Esteira(root, "blend", "1", "2");
        Assert.Contains("weight", Table(first.Out), StringComparison.Ordinal);
        Assert.Equal(Table(first.Out), Table(again.Out));
    }

    [Fact]
    public void Blending_an_unknown_run_is_a_clear_error()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var result = Cli.Esteira(root, "blend", "41", "42");
        Assert.Equal(2, result.Exit);
        Assert.Contains("run 41: not in the tracking store", result.Err, StringComparison.Ordinal);
    }

    /// <summary>The weights table (parts, OOF RMSLE, weights, blend score), without the run number or the gate.</summary>
    private static string Table(string output) =>
        string.Join("\n", output.Split('\n').SkipWhile(l => !l.Contains("blend → run", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => !l.StartsWith("submission:", StringComparison.Ordinal)));

    private static double FindMetric(JsonElement element, string name)
    {
        foreach (var metric in Descendants(element).Where(e => e.ValueKind == JsonValueKind.Object))
        {
            if (metric.TryGetProperty("name", out var n) && n.GetString() == name && metric.TryGetProperty("value", out var v)
                && (!metric.TryGetProperty("fold", out var f) || f.ValueKind == JsonValueKind.Null))
            {
                return v.GetDouble();
            }
        }

        throw new InvalidOperationException($"no summary metric {name} in {element}");
    }

    private static IEnumerable<JsonElement> Descendants(JsonElement e)
    {
        yield return e;
        var children = e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().Select(p => p.Value),
            JsonValueKind.Array => e.EnumerateArray(),
            _ => [],
        };
        foreach (var c in children.SelectMany(Descendants))
        {
            yield return c;
        }
    }
}
