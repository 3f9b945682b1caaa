using System.IO.Compression;
using System.Text.Json;

namespace Esteira.Cli.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>
/// A Kaggle-style tabular competition through the CLI, as a user runs it: run on a folder, and a workspace made by
/// <c>esteira init</c> with its gate (AUC: higher is better), deploy and report.
/// </summary>
[Trait("Category", "Slow")]
public sealed class TabularEndToEndTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("esteira-tabular-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Bike_sharing_runs_outside_a_workspace_and_its_submission_keeps_the_sample_header_and_ids()
    {
        var data = Copy("bike-sharing-demand", "bikes");

        var (exit, stdout, stderr) = Cli.Esteira(_root, "run", "--data", data, "--metric", "rmsle", "--iterations", "60", "--out", "out", "--json");

        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("rmsle", json.RootElement.GetProperty("metric").GetString());
        Assert.InRange(json.RootElement.GetProperty("cv").GetDouble(), 0.05, 1.5);
        var (header, ids) = ReadGz(Path.Combine(_root, "out", "submission.csv.gz"));
        var (sampleHeader, sampleIds) = ReadGz(Path.Combine(data, "sampleSubmission.csv.gz"));
        Assert.Equal(sampleHeader, header);
        Assert.Equal(sampleIds.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_wrong_target_is_one_line_naming_it_and_exit_2()
    {
        var data = Copy("bike-sharing-demand", "bikes");

        var (exit, _, stderr) = Cli.Esteira(_root, "run", "--data", data, "--target", "nope", "--out", "out");

        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("nope", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "out", "submission.csv.gz")));
    }

    [Fact]
    public void An_adult_income_workspace_gates_on_auc_deploys_the_champion_and_reports()
    {
        var workspace = Path.Combine(_root, "ws");
        Directory.CreateDirectory(workspace);
        Copy("adult-income", Path.Combine("ws", "data"));

        var init = Cli.Esteira(_root, "init", "ws", "--data", Path.Combine(workspace, "data"));
        Assert.True(init.Exit == 0, init.Err);
        var yaml = File.ReadAllText(Path.Combine(workspace, "esteira.yaml"));
        Assert.Contains("profile: tabular", yaml, StringComparison.Ordinal);
        Assert.Contains("metric: auc", yaml, StringComparison.Ordinal);
        Assert.Contains("target: income_gt_50k", yaml, StringComparison.Ordinal);
        Assert.Contains("direction: maximize", yaml, StringComparison.Ordinal);
        Assert.Contains("dataset: data", yaml, StringComparison.Ordinal);
        Assert.Contains("name: ws ", yaml, StringComparison.Ordinal);
        var baseline = Path.Combine(workspace, "experiments", "baseline", "experiment.yaml");
        var template = File.ReadAllText(baseline);
        Assert.Contains("chosen on CV", template, StringComparison.Ordinal); // no leaves or iterations: the tabular baseline tunes
        File.WriteAllText(baseline, template.Replace("  learning_rate:", "  iterations: 80\n  learning_rate:", StringComparison.Ordinal));

        var first = Cli.Esteira(workspace, "run", "--ci");
        Assert.True(first.Exit == 0, first.Err + first.Out);
        Assert.Contains("now the champion", first.Out, StringComparison.Ordinal);

        // A weaker challenger: lower AUC, refused by the gate (a refusal in CI exits 1).
        Directory.CreateDirectory(Path.Combine(workspace, "experiments", "tiny"));
        File.WriteAllText(Path.Combine(workspace, "experiments", "tiny", "experiment.yaml"), "kind: lightgbm\nparams:\n  iterations: 3\n  leaves: 4\n");
        var second = Cli.Esteira(workspace, "run", "--ci");
        Assert.Equal(1, second.Exit);
        Assert.Contains("refused tiny", second.Err, StringComparison.Ordinal);

        var deploy = Cli.Esteira(workspace, "deploy");
        Assert.True(deploy.Exit == 0, deploy.Err + deploy.Out);
        var sent = Assert.Single(Directory.GetFiles(Path.Combine(workspace, "submissions"), "*.csv.gz"));
        var (header, ids) = ReadGz(sent);
        Assert.Equal("id,income_gt_50k", header);
        Assert.Equal(16_281, ids.Count);

        var report = Cli.Esteira(workspace, "report", "--out", "rep");
        Assert.True(report.Exit == 0, report.Err + report.Out);
        var markdown = File.ReadAllText(Path.Combine(workspace, "rep", "report.md"));
        Assert.Contains("| `tiny` |", markdown, StringComparison.Ordinal);
        Assert.Contains("cv_auc", markdown, StringComparison.Ordinal);
        Assert.Contains("(worse)", markdown, StringComparison.Ordinal);
    }

    private string Copy(string sample, string to)
    {
        var target = Path.Combine(_root, to);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Root, "samples", sample)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    private static (string Header, List<string> Ids) ReadGz(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var header = reader.ReadLine()!;
        var ids = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                ids.Add(line[..line.LastIndexOf(',')]);
            }
        }

        return (header, ids);
    }
}

public sealed class WorkspaceTemplateTests
{
    [Fact]
    public void The_competition_section_reads_back_as_written_comments_and_all()
    {
        var root = Directory.CreateTempSubdirectory("esteira-template-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "data"));
            var competition = new Config.CompetitionSettings { Name = "a-rather-long-competition-name", Profile = "tabular", Metric = "auc", Id = "id", Target = "y", Time = "none", Task = "binary" };
            Pipeline.WorkspaceTemplate.Create(root, Path.Combine(root, "data"), competition);

            var config = Config.WorkspaceConfig.Load(root);

            Assert.Equal(competition, config.Competition);
            Assert.Equal("data", config.Dataset);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
