namespace Esteira.Pipeline.Tests;

/// <summary>Series by series, where a naive profile beats the model on the CV rows.</summary>
public sealed class BaselineComparisonTests
{
    [Fact]
    public void A_series_is_listed_when_either_profile_beats_the_model_with_hand_computed_scores()
    {
        using var folder = new TempFolder();
        // building 1: the model is exact, both profiles miss → not listed
        // building 2: the model misses by 0.5, the long profile by 0.3, the recent one by 0.1 → listed, recent best
        // building 3: no recent readings (NaN): the long profile stands in, misses by 0.2; the model by 0.4 → listed
        float[] building = [1, 1, 2, 2, 3, 3];
        float[] actual = [2, 3, 2, 3, 2, 3];
        float[] model = [2, 3, 2.5f, 3.5f, 2.4f, 2.6f];
        float[] profile = [2.5f, 3.5f, 2.3f, 2.7f, 2.2f, 2.8f];
        float[] recent = [2.5f, 3.5f, 2.1f, 2.9f, float.NaN, float.NaN];
        ColumnTable.Write(folder.Path, [("building_id", building), ("meter", new float[6]), ("baseline", profile), ("level_profile", recent)]);

        var result = BaselineComparison.Of(folder.Path, model, actual);
        Assert.Equal(3, result.Series);
        Assert.Equal([2, 3], result.Losses.Select(l => l.BuildingId));
        var two = result.Losses[0];
        Assert.Equal((2, 0.5, 0.3, 0.1), (two.Rows, two.Model, two.Profile, two.RecentProfile));
        Assert.Equal(0.4, two.Margin, 9);
        var three = result.Losses[1];
        Assert.Equal((0.4, 0.2, 0.2), (three.Model, three.Profile, three.RecentProfile));
    }
}
