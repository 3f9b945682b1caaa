namespace Esteira.Data;

/// <summary>Hourly meter readings (train.csv) as columns; timestamps are local-time hour indexes.</summary>
public sealed class MeterReadings
{
    public required int[] BuildingId { get; init; }
    public required byte[] Meter { get; init; }
    public required int[] Hour { get; init; }
    public required float[] Reading { get; init; }

    /// <summary>1-based line in the source file of each row, for error messages about keys.</summary>
    public required int[] Line { get; init; }

    public int Count => Hour.Length;
}

/// <summary>The rows to predict (test.csv) as columns.</summary>
public sealed class TestRows
{
    public required int[] RowId { get; init; }
    public required int[] BuildingId { get; init; }
    public required byte[] Meter { get; init; }
    public required int[] Hour { get; init; }

    public int Count => Hour.Length;
}

/// <summary>building_metadata.csv as columns, with an index from building id to row.</summary>
public sealed class Buildings
{
    public required int[] SiteId { get; init; }
    public required int[] BuildingId { get; init; }
    public required int[] PrimaryUse { get; init; }
    public required string[] PrimaryUseNames { get; init; }
    public required float[] SquareFeet { get; init; }
    public required float[] YearBuilt { get; init; }
    public required float[] FloorCount { get; init; }
    public required IReadOnlyDictionary<int, int> RowOf { get; init; }

    public int Count => BuildingId.Length;
}

/// <summary>Hourly weather per site (UTC timestamps) as columns; missing cells are NaN.</summary>
public sealed class WeatherRows
{
    /// <summary>The weather measurements, in the file's column order.</summary>
    public static readonly string[] ValueColumns =
        ["air_temperature", "cloud_coverage", "dew_temperature", "precip_depth_1_hr", "sea_level_pressure", "wind_direction", "wind_speed"];

    public required int[] SiteId { get; init; }
    public required int[] Hour { get; init; }

    /// <summary>One array per entry of <see cref="ValueColumns"/>.</summary>
    public required float[][] Values { get; init; }

    public int Count => Hour.Length;
}

/// <summary>The six files of a GEPIII dataset, read and checked.</summary>
public sealed class GepiiiDataset
{
    public required MeterReadings Train { get; init; }
    public required TestRows Test { get; init; }
    public required Buildings Buildings { get; init; }
    public required WeatherRows Weather { get; init; }

    /// <summary>row_id column of sample_submission.csv, in file order.</summary>
    public required int[] SampleRowIds { get; init; }
}
