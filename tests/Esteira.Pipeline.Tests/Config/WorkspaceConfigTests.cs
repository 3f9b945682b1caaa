using Esteira.Pipeline.Ci;
using Esteira.Config;

namespace Esteira.Pipeline.Tests.Config;

/// <summary>esteira.yaml has one reader: what the CI generator sees is what esteira run sees.</summary>
public sealed class WorkspaceConfigTests
{
    [Theory]
    [InlineData("tracking: postgresql://ci@db/esteira\nartifacts: s3://b/p\ndeploy: kaggle\n")]
    [InlineData("tracking:\n  uri: postgresql://ci@db/esteira\nartifacts:\n  uri: s3://b/p\ndeploy:\n  target: kaggle\n")]
    [InlineData("stores:\n  tracking: postgresql://ci@db/esteira\n  artifacts: s3://b/p\ndeploy: {target: kaggle}\n")]
    public void Every_documented_spelling_of_the_stores_and_the_deploy_target_means_the_same(string yaml)
    {
        using var workspace = Ci.Workspace.Create("dataset: data\n" + yaml, "baseline");

        var config = WorkspaceConfig.Load(workspace.Path);
        var shape = WorkspaceShapeReader.Read(workspace.Path);

        Assert.Equal("postgresql://ci@db/esteira", config.Tracking);
        Assert.Equal("s3://b/p", config.Artifacts);
        Assert.Equal("kaggle", config.DeployTarget);
        Assert.True(shape.SharesTracking);
        Assert.Equal("s3://b/p", shape.ArtifactsUri);
        Assert.True(shape.DeploysToKaggle);
    }

    [Fact]
    public void The_competition_section_is_typed_and_a_top_level_metric_still_counts()
    {
        using var workspace = Ci.Workspace.Create(
            "dataset: data\ncompetition:\n  name: bikes\n  profile: tabular\n  metric: RMSLE\n  id: datetime\n  target: count\n  time: datetime\n  task: regression\ncv:\n  folds: 4\n  seed: 7\n",
            "baseline");
        using var older = Ci.Workspace.Create("dataset: data\ncompetition: ashrae-energy-prediction\nmetric: rmsle\n", "baseline");

        var config = WorkspaceConfig.Load(workspace.Path);
        var old = WorkspaceConfig.Load(older.Path);

        Assert.Equal(new CompetitionSettings { Name = "bikes", Profile = "tabular", Metric = "rmsle", Id = "datetime", Target = "count", Time = "datetime", Task = "regression" }, config.Competition);
        Assert.Equal((4, 7), (config.Folds, config.Seed));
        Assert.Equal(new CompetitionSettings { Name = "ashrae-energy-prediction", Metric = "rmsle" }, old.Competition);
    }

    [Theory]
    [InlineData(null, "env", "file", "env")]
    [InlineData("option", "env", "file", "option")]
    [InlineData(null, null, "file", "file")]
    [InlineData(" ", "", "file", "file")]
    [InlineData(null, null, null, null)]
    public void Option_beats_environment_beats_file(string? option, string? environment, string? file, string? expected)
    {
        using var workspace = Ci.Workspace.Create($"dataset: data\n{(file is null ? "" : $"tracking: {file}\n")}", "baseline");
        var config = WorkspaceConfig.Load(workspace.Path);

        Assert.Equal(expected, WorkspaceConfig.TrackingUri(config, option, name => name == WorkspaceConfig.TrackingVariable ? environment : null));
    }
}
