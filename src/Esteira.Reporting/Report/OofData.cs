using Esteira.Pipeline;

namespace Esteira.Reporting.Report;

/// <summary>
/// The out-of-fold rows of one model, joined with what the report groups them by. One entry per row of the features
/// stage's <c>valid/</c> table; predictions are in <c>meter_reading</c> units, labels in log1p.
/// </summary>
public sealed class OofData
{
    /// <summary>The CV fold each row was held out in.</summary>
    public required int[] Fold { get; init; }
    /// <summary>The actual value of each row, in log1p space.</summary>
    public required float[] Label { get; init; }
    /// <summary>The out-of-fold prediction of each row, in <c>meter_reading</c> units.</summary>
    public required float[] Prediction { get; init; }
    /// <summary>The <c>building_id</c> of each row.</summary>
    public required int[] Building { get; init; }
    /// <summary>The meter type of each row.</summary>
    public required int[] Meter { get; init; }
    /// <summary>The <c>site_id</c> of each row.</summary>
    public required int[] Site { get; init; }
    /// <summary>The hour of day (0–23) of each row.</summary>
    public required int[] HourOfDay { get; init; }
    /// <summary>The weekday of each row, as the features stage wrote it.</summary>
    public required int[] Weekday { get; init; }

    /// <summary>Hours since 1970-01-01 (UTC) of each row.</summary>
    public required int[] Time { get; init; }

    /// <summary>The number of out-of-fold rows.</summary>
    public int Rows => Label.Length;

    /// <summary>log1p of the prediction, the space RMSLE is measured in.</summary>
    public float[] PredictionLog => LogOf(Prediction);

    /// <summary>Reads the rows from a features folder and a model folder of the cache.</summary>
    /// <exception cref="EsteiraException">The model's predictions do not match the features' validation rows (<see cref="ErrorCode.BadInput"/>).</exception>
    public static OofData Load(string featuresFolder, string modelFolder) =>
        Load(featuresFolder, ReadPrediction(Path.Combine(modelFolder, "oof")));

    /// <summary>Reads the rows of a features folder with predictions from elsewhere (a champion's).</summary>
    public static OofData Load(string featuresFolder, float[] prediction)
    {
        var valid = Path.Combine(featuresFolder, "valid");
        var trainRow = ColumnTable.ReadInt(valid, "train_row");
        if (prediction.Length != trainRow.Length)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"the out-of-fold predictions have {prediction.Length:N0} rows but {valid} has {trainRow.Length:N0}; rerun the experiment (esteira run --force train:NAME)");
        }

        var trainTime = ColumnTable.ReadInt(Path.Combine(featuresFolder, "train"), "time");
        return new OofData
        {
            Fold = ColumnTable.ReadInt(valid, "fold"),
            Label = ColumnTable.ReadFloat(valid, "label"),
            Prediction = prediction,
            Building = Ints(valid, "building_id"),
            Meter = Ints(valid, "meter"),
            Site = Ints(valid, "site_id"),
            HourOfDay = Ints(valid, "hour"),
            Weekday = Ints(valid, "weekday"),
            Time = trainRow.Select(r => trainTime[r]).ToArray(),
        };
    }

    /// <summary>Reads <c>prediction.npy</c> of an <c>oof/</c> folder.</summary>
    public static float[] ReadPrediction(string oofFolder) => ColumnTable.ReadFloat(oofFolder, "prediction");

    internal static float[] LogOf(float[] values) => values.Select(v => MathF.Log(1 + MathF.Max(0, v))).ToArray();

    // Ids and calendar fields are stored as float32 features; they are exact integers far below 2^24.
    private static int[] Ints(string folder, string column) => ColumnTable.ReadFloat(folder, column).Select(v => float.IsNaN(v) ? -1 : (int)v).ToArray();
}
