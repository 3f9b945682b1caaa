namespace Esteira.Tracking;

/// <summary>Why an alias moved.</summary>
public enum AliasChangeKind
{
    /// <summary>The gate passed the run.</summary>
    Gate,

    /// <summary>A person overrode the gate (<c>esteira promote</c>).</summary>
    Manual,
}

/// <summary>One registered version of a model: which run produced it.</summary>
public sealed record ModelVersion(string Model, int Version, long RunId, DateTimeOffset CreatedAt, string? Note);

/// <summary>One entry of an alias's history: every promotion is explained by its kind and reason.</summary>
public sealed record AliasChange
{
    public required long Id { get; init; }

    public required string Model { get; init; }

    public required string Alias { get; init; }

    public required int Version { get; init; }

    public required long RunId { get; init; }

    /// <summary>The version the alias pointed at before, or null when it is new.</summary>
    public int? PreviousVersion { get; init; }

    public required AliasChangeKind Kind { get; init; }

    public required string Reason { get; init; }

    /// <summary>Who made the change (a user name), when known.</summary>
    public string? Actor { get; init; }

    public required DateTimeOffset ChangedAt { get; init; }
}
