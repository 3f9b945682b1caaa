namespace Esteira.Ml;

/// <summary>Uniform random subsets of row lists that keep the rows' order.</summary>
public static class RowSample
{
    /// <summary>
    /// Exactly <paramref name="max"/> of <paramref name="rows"/>, each equally likely, in their original order
    /// (selection sampling, one pass); <paramref name="rows"/> itself when it is not longer than that or max is 0.
    /// </summary>
    public static int[] Uniform(int[] rows, int max, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        if (max == 0 || rows.Length <= max)
        {
            return rows;
        }

        var random = new Random(seed);
        var picked = new int[max];
        var needed = max;
        for (var k = 0; needed > 0; k++)
        {
            // keep row k with probability (rows still needed) / (rows left), which makes every subset equally likely
            if (random.NextInt64(rows.Length - k) < needed)
            {
                picked[max - needed] = rows[k];
                needed--;
            }
        }

        return picked;
    }
}
