using Xunit;

namespace Esteira.Tracking.Tests;

public sealed class GateSpecTests
{
    [Fact]
    public void The_documented_example_parses()
    {
        var spec = GateSpec.Parse("""
            competition: ashrae
            gate:
              metric: cv_rmsle
              direction: minimize
              max: 0.6                # absolute condition
              min_improvement: 0.002  # absolute improvement over champion
              min_relative_improvement: 0.0
              max_fold_regression: 0.05
              max_flagged_fraction: 0.2
            """);

        Assert.Equal(new GateSpec
        {
            Metric = "cv_rmsle", Direction = MetricDirection.Minimize, Max = 0.6, MinImprovement = 0.002,
            MinRelativeImprovement = 0.0, MaxFoldRegression = 0.05, MaxFlaggedFraction = 0.2,
        }, spec);
    }

    [Fact]
    public void The_bare_mapping_parses_and_omitted_thresholds_stay_null()
    {
        var spec = GateSpec.Parse("metric: auc\ndirection: maximize\nmin: 0.7\n");

        Assert.Equal((MetricDirection.Maximize, 0.7, (double?)null, (double?)null), (spec.Direction, spec.Min!.Value, spec.Max, spec.MinImprovement));
    }

    [Theory]
    [InlineData("gate:\n  metric: cv_rmsle\n  max_regression: 0.1\n", "esteira.yaml:3", "unknown gate key 'gate.max_regression'")]
    [InlineData("gate:\n  metric: cv_rmsle\n  max: lots\n", "esteira.yaml:3", "'gate.max' is 'lots', not a number")]
    [InlineData("gate:\n  metric: cv_rmsle\n  direction: down\n", "esteira.yaml:3", "'gate.direction' is 'down'")]
    [InlineData("gate:\n  max: 0.6\n", "esteira.yaml:2", "the gate has no 'metric'")]
    [InlineData("gate:\n  metric: m\n  max_flagged_fraction: 1.5\n", "esteira.yaml", "between 0 and 1")]
    [InlineData("gate: [1, 2]\n", "esteira.yaml:1", "'gate' is not a mapping")]
    [InlineData("gate:\n  metric: [\n", "esteira.yaml", "not valid YAML")]
    public void Mistakes_are_reported_with_file_line_and_a_remedy(string yaml, string where, string problem)
    {
        var error = Assert.Throws<EsteiraException>(() => GateSpec.Parse(yaml));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.StartsWith(where, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
