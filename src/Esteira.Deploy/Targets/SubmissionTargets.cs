using Esteira.Deploy.Kaggle;

namespace Esteira.Deploy.Targets;

/// <summary>Which target and where, as the CLI (or <c>esteira.yaml</c>) names it.</summary>
public sealed record TargetSpec
{
    /// <summary><c>kaggle</c>, <c>leaderboard</c> or <c>folder</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The competition slug; for <c>leaderboard</c> it may be left out when the server hosts exactly one.</summary>
    public string? Competition { get; init; }

    /// <summary>Our leaderboard server's URL (required for <c>leaderboard</c>, or <c>ESTEIRA_LEADERBOARD_URL</c>); for
    /// <c>kaggle</c> it overrides the endpoint.</summary>
    public string? Server { get; init; }

    /// <summary>The folder of the <c>folder</c> target (default <c>.esteira/submissions</c>).</summary>
    public string? Destination { get; init; }

    /// <summary>The clock the targets use (the folder target's file names, the client's timeouts); tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Builds an <see cref="ISubmissionTarget"/> from a <see cref="TargetSpec"/>; credentials come from the environment
/// exactly as the Kaggle CLI finds them.</summary>
public static class SubmissionTargets
{
    /// <summary>The target kinds <see cref="CreateAsync"/> knows.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["kaggle", "leaderboard", "folder"];

    /// <summary>The target; dispose it when it is <see cref="IDisposable"/> (the HTTP ones are).</summary>
    public static async Task<ISubmissionTarget> CreateAsync(TargetSpec spec, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(environment);
        var kind = spec.Kind.Trim().ToLowerInvariant();
        var competition = spec.Competition ?? (environment.TryGetValue("KAGGLE_COMPETITION", out var c) && !string.IsNullOrWhiteSpace(c) ? c : null);
        switch (kind)
        {
            case "folder":
                return new FolderTarget(spec.Destination ?? Path.Combine(".esteira", "submissions"), competition ?? "local", spec.Time);

            case "kaggle":
            {
                var client = new KaggleClient(new KaggleClientOptions
                {
                    ApiBase = KaggleEndpoint.Resolve(spec.Server, environment),
                    Credentials = KaggleCredentialLocator.Locate(environment),
                    ServiceName = "Kaggle",
                    Time = spec.Time,
                });
                return new KaggleTarget(client, competition ?? throw Missing(client, "kaggle"), "kaggle", ownsClient: true);
            }

            case "leaderboard":
            {
                var server = spec.Server ?? (environment.TryGetValue("ESTEIRA_LEADERBOARD_URL", out var url) && !string.IsNullOrWhiteSpace(url) ? url : null)
                    ?? throw new EsteiraException(ErrorCode.Usage, "--target leaderboard needs --server URL (or ESTEIRA_LEADERBOARD_URL), e.g. --server http://127.0.0.1:8080");
                var client = new KaggleClient(new KaggleClientOptions
                {
                    ApiBase = KaggleEndpoint.FromServer(server),
                    Credentials = KaggleCredentialLocator.Locate(environment),
                    ServiceName = $"leaderboard at {server}",
                    Time = spec.Time,
                });
                if (competition is null)
                {
                    try
                    {
                        var hosted = await client.ListCompetitionsAsync(cancellationToken: cancellationToken);
                        competition = hosted.Count == 1
                            ? hosted[0].Name
                            : throw new EsteiraException(ErrorCode.Usage,
                                $"the server hosts {hosted.Count} competitions ({string.Join(", ", hosted.Select(h => h.Name))}); pass --competition NAME");
                    }
                    catch
                    {
                        client.Dispose();
                        throw;
                    }
                }

                return new KaggleTarget(client, competition, "leaderboard", ownsClient: true);
            }

            default:
                throw new EsteiraException(ErrorCode.Usage, $"--target '{spec.Kind}' is not one of {string.Join(", ", Kinds)}");
        }
    }

    private static EsteiraException Missing(KaggleClient client, string kind)
    {
        client.Dispose();
        return new EsteiraException(ErrorCode.Usage, $"--target {kind} needs --competition NAME (or KAGGLE_COMPETITION), e.g. --competition ashrae-energy-prediction");
    }
}
