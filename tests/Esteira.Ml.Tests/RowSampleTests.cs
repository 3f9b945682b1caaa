
namespace Esteira.Ml.Tests;

public sealed class RowSampleTests
{
    [Fact]
    public void Under_the_limit_every_row_is_kept()
    {
        var rows = new[] { 3, 8, 9 };
        Assert.Same(rows, RowSample.Uniform(rows, 3, 1));
        Assert.Same(rows, RowSample.Uniform(rows, 0, 1));
    }

    [Fact]
    public void Picks_exactly_the_limit_in_the_original_order_without_repeats()
    {
        var rows = Enumerable.Range(0, 10_000).Select(i => (i * 3) + 1).ToArray();
        var picked = RowSample.Uniform(rows, 2_500, 7);
        Assert.Equal(2_500, picked.Length);
        Assert.All(picked, r => Assert.Contains(r, rows));
        Assert.True(picked.Zip(picked.Skip(1)).All(p => p.First < p.Second), "picked rows are not strictly ascending");
        Assert.Equal(picked, RowSample.Uniform(rows, 2_500, 7));
        Assert.NotEqual(picked, RowSample.Uniform(rows, 2_500, 8));
    }

    [Fact]
    public void Every_part_of_the_list_is_sampled_at_the_same_rate()
    {
        // a sampler that favoured the start or the end would skew a model towards one season
        var rows = Enumerable.Range(0, 100_000).ToArray();
        var picked = RowSample.Uniform(rows, 20_000, 42);
        var perTenth = picked.GroupBy(r => r / 10_000).Select(g => g.Count()).ToArray();
        Assert.Equal(10, perTenth.Length);
        Assert.All(perTenth, n => Assert.InRange(n, 1_800, 2_200));
    }
}
