using Esteira.Pipeline.Ci;

namespace Esteira.Pipeline.Tests.Ci;

public sealed class WorkspaceShapeReaderTests
{
    [Fact]
    public void Without_esteira_yaml_the_shape_is_the_default()
    {
        using var workspace = Workspace.Create(null);

        Assert.Equal(WorkspaceShape.Default, WorkspaceShapeReader.Read(workspace.Path));
        Assert.Equal(["baseline"], WorkspaceShape.Default.Experiments);
    }

    [Fact]
    public void Experiments_are_the_folders_that_hold_an_experiment_yaml_in_ordinal_order()
    {
        using var workspace = Workspace.Create("tracking: sqlite:.esteira/esteira.db\n", "zeta", "Alpha", "beta");
        Directory.CreateDirectory(Path.Combine(workspace.Path, "experiments", "notes-only"));

        var shape = WorkspaceShapeReader.Read(workspace.Path);

        Assert.Equal(["Alpha", "beta", "zeta"], shape.Experiments);
        Assert.Equal("sqlite", shape.TrackingScheme);
        Assert.False(shape.SharesTracking);
        Assert.False(shape.SharesArtifacts);
    }

    [Fact]
    public void Shared_stores_and_the_deploy_target_are_read_without_keeping_secrets()
    {
        using var workspace = Workspace.Create(
            "tracking: postgresql://u:secret@h/db\nartifacts: s3://bucket/pre/fix?region=eu-west-1\ndeploy: kaggle\n", "x");

        var shape = WorkspaceShapeReader.Read(workspace.Path);

        Assert.True(shape.SharesTracking);
        Assert.Equal("postgresql", shape.TrackingScheme);
        Assert.Equal("s3://bucket/pre/fix", shape.ArtifactsUri);
        Assert.True(shape.DeploysToKaggle);
        Assert.DoesNotContain("secret", shape.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tracking: [a, b]\n", "esteira.yaml:1 key 'tracking'")]
    [InlineData("deploy:\n  - kaggle\n", "esteira.yaml:2 key 'deploy'")]
    [InlineData("tracking: {uri: [x]}\n", "key 'tracking.uri'")]
    [InlineData("- just\n- a list\n", "esteira.yaml:1: expected a mapping")]
    [InlineData("metric: r2\n", "esteira.yaml:1 key 'metric': metric 'r2' is not supported")]
    [InlineData("competition:\n  name: x\n  task: ranking\n", "esteira.yaml:3 key 'competition.task'")]
    [InlineData("tracking: \"unclosed\n", "not valid YAML")]
    public void A_malformed_esteira_yaml_names_the_file_line_and_key(string yaml, string expected)
    {
        using var workspace = Workspace.Create(yaml, "x");

        var error = Assert.Throws<EsteiraException>(() => WorkspaceShapeReader.Read(workspace.Path));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_esteira_yaml_without_experiments_is_an_error_with_the_remedy()
    {
        using var workspace = Workspace.Create("competition: x\n");

        var error = Assert.Throws<EsteiraException>(() => WorkspaceShapeReader.Read(workspace.Path));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("experiment.yaml", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("-leading-dash")]
    [InlineData("dollar$sign")]
    [InlineData("colon:name")]
    public void Experiment_names_unsafe_for_CI_are_refused_with_the_folder_named(string name)
    {
        using var workspace = Workspace.Create("competition: x\n", name);

        var error = Assert.Throws<EsteiraException>(() => WorkspaceShapeReader.Read(workspace.Path));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }
}
