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
    /// <summary>The history entry's id.</summary>
    public required long Id { get; init; }

    /// <summary>The registered model's name.</summary>
    public required string Model { get; init; }

    /// <summary>The alias that moved, e.g. <c>champion</c>.</summary>
    public required string Alias { get; init; }

    /// <summary>The model version the alias points at after the change.</summary>
    public required int Version { get; init; }

    /// <summary>The run that produced <see cref="Version"/>.</summary>
    public required long RunId { get; init; }

    /// <summary>The version the alias pointed at before, or null when it is new.</summary>
    public int? PreviousVersion { get; init; }

    /// <summary>Whether the gate or a person moved the alias.</summary>
    public required AliasChangeKind Kind { get; init; }

    /// <summary>Why it moved: the gate's summary or the reason a person gave.</summary>
    public required string Reason { get; init; }

    /// <summary>Who made the change (a user name), when known.</summary>
    public string? Actor { get; init; }

    /// <summary>When the alias moved.</summary>
    public required DateTimeOffset ChangedAt { get; init; }
}
