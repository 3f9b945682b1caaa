using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Esteira.Testing;

/// <summary>A tiny competition in the GEPIII layout: rows 0..n-1, the first half Public, the rest Private.</summary>
public sealed class TinyCompetition
{
    public required string Dir { get; init; }
    public required float[] Actual { get; init; }
    public required int PublicRows { get; init; }

    public static TinyCompetition Create(string parent, string name = "tiny-comp", int rows = 200, string? config = null, bool gzipSolution = false, int seed = 7)
    {
        var dir = Path.Combine(parent, name);
        Directory.CreateDirectory(dir);
        var random = new Random(seed);
        var actual = new float[rows];
        var publicRows = rows / 2;
        var test = new StringBuilder("row_id,building_id,meter,timestamp\n");
        var sample = new StringBuilder("row_id,meter_reading\n");
        var solution = new StringBuilder("row_id,meter_reading,Usage\n");
        for (var i = 0; i < rows; i++)
        {
            actual[i] = MathF.Round((float)(random.NextDouble() * 500), 3);
            test.Append(CultureInfo.InvariantCulture, $"{i},{i % 7},0,2017-01-01 {i % 24:00}:00:00\n");
            sample.Append(CultureInfo.InvariantCulture, $"{i},0\n");
            solution.Append(CultureInfo.InvariantCulture, $"{i},{actual[i]},{(i < publicRows ? "Public" : "Private")}\n");
        }

        File.WriteAllText(Path.Combine(dir, "test.csv"), test.ToString());
        File.WriteAllText(Path.Combine(dir, "sample_submission.csv"), sample.ToString());
        File.WriteAllText(Path.Combine(dir, "building_metadata.csv"), "site_id,building_id,primary_use,square_feet,year_built,floor_count\n0,0,Education,100,,\n");
        if (gzipSolution)
        {
            using var gz = new GZipStream(File.Create(Path.Combine(dir, "solution.csv.gz")), CompressionLevel.Fastest);
            gz.Write(Encoding.UTF8.GetBytes(solution.ToString()));
        }
        else
        {
            File.WriteAllText(Path.Combine(dir, "solution.csv"), solution.ToString());
        }

        if (config is not null)
        {
            File.WriteAllText(Path.Combine(dir, "competition.yaml"), config);
        }

        return new TinyCompetition { Dir = dir, Actual = actual, PublicRows = publicRows };
    }

    public string SamplePath => Path.Combine(Dir, "sample_submission.csv");

    /// <summary>Writes a submission with predictions f(row, actual).</summary>
    public float[] WriteSubmission(string path, Func<int, float, float> predict, bool gzip = false)
    {
        var predictions = new float[Actual.Length];
        var text = new StringBuilder("row_id,meter_reading\n");
        for (var i = 0; i < Actual.Length; i++)
        {
            predictions[i] = predict(i, Actual[i]);
            text.Append(CultureInfo.InvariantCulture, $"{i},{predictions[i].ToString("R", CultureInfo.InvariantCulture)}\n");
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (gzip)
        {
            using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }

        return predictions;
    }
}
