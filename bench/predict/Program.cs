// Scoring throughput: Esteira's compiled ensemble (CompiledEnsemble) against LightGBM's own predictor
// (LGBM_BoosterPredictForMat, same thread count), on the same row-major float rows. Prints one line:
//   compiled N rows/s, lightgbm M rows/s, ratio R, identical yes|no
// Details (compile time, each timed run, the older TreeEnsemble walker) go to stderr.
//
// Without --model the model is trained here on SYNTHETIC rows with the real GEPIII feature count
// (FeatureBuilder.Names): integer ids and calendar columns, continuous weather-like columns with NaNs, level-like
// columns; the label is a nonlinear function of them plus noise, so that every tree grows its 63 leaves.
using System.Diagnostics;
using System.Globalization;
using Esteira.Data;
using Esteira.Ml;

var rows = 2_000_000;
var trainRows = 200_000;
var trees = 200;
var leaves = 63;
var threads = 2;
var repeats = 3;
var seed = 42;
string? modelPath = null;
string? savePath = null;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--rows": rows = NextInt(); break;
        case "--train-rows": trainRows = NextInt(); break;
        case "--trees": trees = NextInt(); break;
        case "--leaves": leaves = NextInt(); break;
        case "--threads": threads = NextInt(); break;
        case "--repeats": repeats = NextInt(); break;
        case "--seed": seed = NextInt(); break;
        case "--model": modelPath = Next(); break;
        case "--save": savePath = Next(); break;
        case "-h" or "--help":
            Console.WriteLine("Esteira.Bench.Predict [--rows 2000000] [--train-rows 400000] [--trees 200] [--leaves 63] [--threads 2] [--repeats 3] [--seed 42] [--model model.txt] [--save model.txt]");
            return 0;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}");
            return 2;
    }
}

var features = FeatureBuilder.Names.Length;
var clock = Stopwatch.StartNew();
GbmModel model;
if (modelPath is not null)
{
    model = GbmModel.Load(modelPath, threads);
    Console.Error.WriteLine($"[predict] loaded {modelPath}: {model.Features} features");
    features = model.Features;
}
else
{
    var (columns, label) = Synthetic(trainRows, features, seed);
    var options = new GbmOptions { Iterations = trees, Leaves = leaves, LearningRate = 0.05, Threads = threads, Seed = seed, MaxTrainRows = 0 };
    using var data = GbmDataset.FromColumns(columns, label, null, options);
    model = GbmModel.Train(data, options);
    Console.Error.WriteLine($"[predict] trained on {trainRows:N0} SYNTHETIC rows × {features} features, {trees} trees × {leaves} leaves: {clock.Elapsed.TotalSeconds:F1} s");
}

using (model)
{
    if (savePath is not null)
    {
        model.Save(savePath);
    }

    var text = model.ToText();
    clock.Restart();
    var compiled = CompiledEnsemble.TryCompile(text);
    if (compiled is null)
    {
        Console.Error.WriteLine("[predict] the model cannot be compiled here (see CompiledEnsemble.TryCompile)");
        return 1;
    }

    Console.Error.WriteLine($"[predict] compiled {compiled.Trees} trees for {compiled.Lanes}-row vectors in {clock.Elapsed.TotalSeconds:F2} s");
    var walker = TreeEnsemble.TryCompile(text);

    var (test, _) = Synthetic(rows, features, seed + 1);
    var rowMajor = new float[(long)rows * features];
    for (var f = 0; f < features; f++)
    {
        var column = test[f];
        for (var r = 0; r < rows; r++)
        {
            rowMajor[((long)r * features) + f] = column[r];
        }
    }

    test = null;
    var expected = new double[rows];
    var actual = new double[rows];
    var older = new double[rows];
    double best(Action run, string name)
    {
        var fastest = double.MaxValue;
        for (var k = 0; k < repeats; k++)
        {
            var watch = Stopwatch.StartNew();
            run();
            var seconds = watch.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"[predict] {name,-9} run {k + 1}: {seconds:F3} s, {rows / seconds:N0} rows/s");
            fastest = Math.Min(fastest, seconds);
        }

        return rows / fastest;
    }

    // warm both up on a slice, then time them in turn
    model.PredictWithLightGbm(rowMajor, Math.Min(rows, 10_000), expected);
    compiled.Predict(rowMajor, Math.Min(rows, 10_000), actual, threads);
    var lightgbm = best(() => model.PredictWithLightGbm(rowMajor, rows, expected), "lightgbm");
    var generated = best(() => compiled.Predict(rowMajor, rows, actual, threads), "compiled");
    if (walker is not null)
    {
        var walked = best(() => walker.Predict(rowMajor, rows, older), "walker");
        Console.Error.WriteLine($"[predict] TreeEnsemble (the previous walker): {walked:N0} rows/s, {walked / lightgbm:F2}× LightGBM");
    }

    var identical = expected.AsSpan().SequenceEqual(actual);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"compiled {generated:F0} rows/s, lightgbm {lightgbm:F0} rows/s, ratio {generated / lightgbm:F2}, identical {(identical ? "yes" : "no")}"));
    return identical ? 0 : 1;
}

// SYNTHETIC GEPIII-shaped rows: the column kinds of FeatureBuilder.Names, not their real values
static (float[][] Columns, float[] Label) Synthetic(int rows, int features, int seed)
{
    var random = new Random(seed);
    var columns = new float[features][];
    for (var f = 0; f < features; f++)
    {
        columns[f] = new float[rows];
    }

    var label = new float[rows];
    for (var r = 0; r < rows; r++)
    {
        var building = random.Next(1449);
        var hour = random.Next(24);
        var temperature = (float)((random.NextDouble() * 40) - 10);
        var level = (float)(random.NextDouble() * 8);
        for (var f = 0; f < features; f++)
        {
            columns[f][r] = f switch
            {
                0 => building,
                1 => random.Next(4),
                2 => building % 16,
                3 => building % 11,
                4 => 7 + (building % 97 / 20f),
                5 => random.Next(8) == 0 ? float.NaN : 1900 + (building % 117),
                6 => random.Next(2) == 0 ? float.NaN : building % 9,
                7 => hour,
                8 => random.Next(7),
                9 or 10 => random.Next(5) == 0 ? 1 : 0,
                11 => temperature,
                _ when random.Next(20) == 0 => float.NaN,
                _ when f >= 22 => level + (float)(random.NextDouble() - 0.5) * (f - 20),
                _ => temperature * (float)random.NextDouble() + f,
            };
        }

        label[r] = (float)(level + (0.3 * Math.Sin(hour / 3.8)) + (0.02 * Math.Abs(temperature - 18)) + (building % 7 * 0.1)
            + (0.3 * random.NextDouble()));
    }

    return (columns, label);
}
