namespace Esteira.Data;

/// <summary>Hourly meter readings (train.csv) as columns; timestamps are local-time hour indexes.</summary>
public sealed class MeterReadings
{
    /// <summary>Building id of each row.</summary>
    public required int[] BuildingId { get; init; }
    /// <summary>Meter kind code of each row (0–3).</summary>
    public required byte[] Meter { get; init; }
    /// <summary>Local-time hour index of each row.</summary>
    public required int[] Hour { get; init; }
    /// <summary>The meter reading of each row, as in the file.</summary>
    public required float[] Reading { get; init; }

    /// <summary>1-based line in the source file of each row, for error messages about keys.</summary>
    public required int[] Line { get; init; }

    /// <summary>Number of rows.</summary>
    public int Count => Hour.Length;
}

/// <summary>The rows to predict (test.csv) as columns.</summary>
public sealed class TestRows
{
    /// <summary>The row_id of each row, which the submission must echo.</summary>
    public required int[] RowId { get; init; }
    /// <summary>Building id of each row.</summary>
    public required int[] BuildingId { get; init; }
    /// <summary>Meter kind code of each row (0–3).</summary>
    public required byte[] Meter { get; init; }
    /// <summary>Local-time hour index of each row.</summary>
    public required int[] Hour { get; init; }

    /// <summary>Number of rows.</summary>
    public int Count => Hour.Length;
}

/// <summary>building_metadata.csv as columns, with an index from building id to row.</summary>
public sealed class Buildings
{
    /// <summary>Site id of each building.</summary>
    public required int[] SiteId { get; init; }
    /// <summary>Building id of each row.</summary>
    public required int[] BuildingId { get; init; }
    /// <summary>Primary use of each building, as an index into <see cref="PrimaryUseNames"/>.</summary>
    public required int[] PrimaryUse { get; init; }
    /// <summary>The distinct primary_use texts, in order of first appearance.</summary>
    public required string[] PrimaryUseNames { get; init; }
    /// <summary>Floor area in square feet; NaN when missing.</summary>
    public required float[] SquareFeet { get; init; }
    /// <summary>Construction year; NaN when missing.</summary>
    public required float[] YearBuilt { get; init; }
    /// <summary>Number of floors; NaN when missing.</summary>
    public required float[] FloorCount { get; init; }
    /// <summary>Building id → row in these columns.</summary>
    public required IReadOnlyDictionary<int, int> RowOf { get; init; }

    /// <summary>Number of buildings.</summary>
    public int Count => BuildingId.Length;
}

/// <summary>Hourly weather per site (UTC timestamps) as columns; missing cells are NaN.</summary>
public sealed class WeatherRows
{
    /// <summary>The weather measurements, in the file's column order.</summary>
    public static readonly string[] ValueColumns =
        ["air_temperature", "cloud_coverage", "dew_temperature", "precip_depth_1_hr", "sea_level_pressure", "wind_direction", "wind_speed"];

    /// <summary>Site id of each row.</summary>
    public required int[] SiteId { get; init; }
    /// <summary>UTC hour index of each row.</summary>
    public required int[] Hour { get; init; }

    /// <summary>One array per entry of <see cref="ValueColumns"/>.</summary>
    public required float[][] Values { get; init; }

    /// <summary>Number of rows.</summary>
    public int Count => Hour.Length;
}

/// <summary>The six files of a GEPIII dataset, read and checked.</summary>
public sealed class GepiiiDataset
{
    /// <summary>train.csv.</summary>
    public required MeterReadings Train { get; init; }
    /// <summary>test.csv.</summary>
    public required TestRows Test { get; init; }
    /// <summary>building_metadata.csv.</summary>
    public required Buildings Buildings { get; init; }
    /// <summary>weather_train.csv and weather_test.csv together.</summary>
    public required WeatherRows Weather { get; init; }

    /// <summary>row_id column of sample_submission.csv, in file order.</summary>
    public required int[] SampleRowIds { get; init; }
}
