namespace Esteira.Ml;

/// <summary>One cross-validation fold over time: train on everything before <see cref="Origin"/>, validate on [Origin, End).</summary>
/// <param name="Index">Fold number, from 1.</param>
/// <param name="Origin">First validation hour; every training hour is before it.</param>
/// <param name="End">First hour after the validation block.</param>
public sealed record TimeFold(int Index, int Origin, int End);

/// <summary>
/// Forward-chaining cross-validation on contiguous time blocks: the period is cut into k + 1 equal blocks;
/// fold i trains on blocks 0..i−1 and validates on block i. Rows of a time series are never shuffled, and
/// no validation hour precedes a training hour.
/// </summary>
public static class TimeBlockFolds
{
    /// <summary>Plans <paramref name="folds"/> folds over the hours [<paramref name="first"/>, <paramref name="last"/>].</summary>
    public static IReadOnlyList<TimeFold> Plan(int first, int last, int folds)
    {
        if (folds < 1)
        {
            throw new EsteiraException(ErrorCode.Usage, $"folds = {folds}; expected at least 1");
        }

        var span = (long)last - first + 1;
        if (span < (folds + 1) * 24L)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"the training period has {span} hours, too short for {folds} time-block folds (at least {(folds + 1) * 24} hours); use fewer folds");
        }

        var result = new List<TimeFold>(folds);
        for (var i = 1; i <= folds; i++)
        {
            // Block boundaries fall on local midnight so that a day is never split between train and validation.
            var origin = first + (int)(span * i / (folds + 1) / 24 * 24);
            var end = i == folds ? last + 1 : first + (int)(span * (i + 1) / (folds + 1) / 24 * 24);
            result.Add(new TimeFold(i, origin, end));
        }

        return result;
    }
}
