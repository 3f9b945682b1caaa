namespace Esteira.Pipeline.Profiles;

/// <summary>The registry of competition profiles: by name, by a dataset's layout, or by the features folder a profile wrote.</summary>
public static class CompetitionProfiles
{
    // GEPIII first: its folder also holds train.csv, test.csv and sample_submission.csv
    private static readonly ICompetitionProfile[] Known = [GepiiiProfile.Instance, TabularProfile.Instance];

    /// <summary>Every known profile, most specific first (GEPIII before the generic tabular one).</summary>
    public static IReadOnlyList<ICompetitionProfile> All => Known;

    /// <summary>The profile named <paramref name="name"/>, or the first that recognises <paramref name="dataset"/>.</summary>
    public static ICompetitionProfile Resolve(string? name, string dataset)
    {
        if (name is not null)
        {
            return Known.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new EsteiraException(ErrorCode.BadInput, $"competition.profile: '{name}' is not a profile; use one of {string.Join(", ", Known.Select(p => p.Name))}");
        }

        return Known.FirstOrDefault(p => p.Recognises(dataset))
            ?? throw new EsteiraException(ErrorCode.BadInput,
                $"{dataset}: neither a GEPIII dataset (building_metadata.csv, weather_*.csv) nor a Kaggle tabular one (train.csv, test.csv, sample_submission.csv); check the folder, or set competition.profile");
    }

    /// <summary>The profile that wrote the features folder <paramref name="features"/> (its summary.json's <c>profile</c>).</summary>
    public static ICompetitionProfile ForFeatures(string features)
    {
        var name = GepiiiStages.ReadSummary(features).Profile;
        return Known.FirstOrDefault(p => p.Name == name)
            ?? throw new EsteiraException(ErrorCode.PipelineFailed, $"{features}: written by the unknown profile '{name}' (another esteira version?); rebuild the features (esteira run --force features)");
    }
}
