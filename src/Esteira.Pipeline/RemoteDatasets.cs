using System.Security.Cryptography;
using System.Text;
using Esteira.Artifacts;
using Esteira.Deploy.Kaggle;

namespace Esteira.Pipeline;

/// <summary>
/// Resolves a dataset to a local folder for every command: a path (relative to the workspace), <c>kaggle://COMPETITION</c>
/// (the competition's files, from Kaggle or, with <c>ESTEIRA_KAGGLE_SERVER</c>, our leaderboard server), or
/// <c>s3://bucket/prefix</c> (every object under the prefix, through the artifact store's S3 client and the AWS_*
/// variables). A download goes into a temporary folder under <c>.esteira/datasets/</c> and is renamed into place, so an
/// interrupted download is never used, and a later command (or a CI job that restored the folder) downloads nothing.
/// </summary>
public static class RemoteDatasets
{
    /// <summary>The scheme of a Kaggle competition's files: <c>kaggle://COMPETITION</c>.</summary>
    public const string KaggleScheme = "kaggle://";

    /// <summary>The scheme of every object under an S3 prefix: <c>s3://bucket/prefix</c>.</summary>
    public const string S3Scheme = "s3://";

    /// <summary>The workspace with its dataset resolved to a local path.</summary>
    /// <param name="workspace">The workspace whose <see cref="Workspace.Dataset"/> may be remote.</param>
    /// <param name="progress">Told what was downloaded; called on the downloading thread.</param>
    /// <param name="cancellationToken">Stops a download; the partial folder is removed.</param>
    /// <exception cref="EsteiraException">The URI is malformed, the source holds nothing, or the service fails.</exception>
    public static async Task<Workspace> ResolveAsync(Workspace workspace, Action<string> progress, CancellationToken cancellationToken = default) =>
        workspace with { Dataset = await ResolveAsync(workspace.Dataset, workspace.StateFolder, progress, cancellationToken) };

    /// <summary>A local path for <paramref name="dataset"/>, downloading it into <paramref name="stateFolder"/> when remote.</summary>
    /// <param name="dataset">A local path (returned unchanged), <c>kaggle://COMPETITION</c> or <c>s3://bucket/prefix</c>.</param>
    /// <param name="stateFolder">The workspace's <c>.esteira</c> folder; downloads go to its <c>datasets/</c>.</param>
    /// <param name="progress">Told what was downloaded; called on the downloading thread.</param>
    /// <param name="cancellationToken">Stops a download; the partial folder is removed.</param>
    /// <exception cref="EsteiraException">The URI is malformed, the source holds nothing, or the service fails.</exception>
    public static async Task<string> ResolveAsync(string dataset, string stateFolder, Action<string> progress, CancellationToken cancellationToken = default)
    {
        if (dataset.StartsWith(KaggleScheme, StringComparison.OrdinalIgnoreCase))
        {
            var competition = dataset[KaggleScheme.Length..].Trim('/');
            if (competition.Length == 0 || competition.Contains('/', StringComparison.Ordinal) || competition.Contains("..", StringComparison.Ordinal))
            {
                throw new EsteiraException(ErrorCode.BadInput, $"'{dataset}': expected kaggle://COMPETITION, e.g. kaggle://ashrae-energy-prediction");
            }

            return await DownloadAsync(Path.Combine(stateFolder, "datasets", competition), progress, async temp =>
            {
                var env = KaggleCredentialLocator.ProcessEnvironment();
                using var client = new KaggleClient(new KaggleClientOptions
                {
                    ApiBase = KaggleEndpoint.Resolve(Environment.GetEnvironmentVariable("ESTEIRA_KAGGLE_SERVER"), env),
                    Credentials = KaggleCredentialLocator.Locate(env),
                });
                var files = await client.DownloadCompetitionFilesAsync(competition, temp, new Progress<string>(progress), cancellationToken);
                return $"downloaded {files.Count} file(s) of {competition}";
            });
        }

        if (dataset.StartsWith(S3Scheme, StringComparison.OrdinalIgnoreCase))
        {
            // The folder is named by the URI (without its query, which may name an endpoint), never by a secret.
            var plain = dataset.Split('?')[0].TrimEnd('/');
            var name = "s3-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plain)))[..16];
            return await DownloadAsync(Path.Combine(stateFolder, "datasets", name), progress, async temp =>
            {
                var store = ArtifactStores.Open(dataset, Path.GetDirectoryName(stateFolder)!);
                try
                {
                    var count = 0;
                    await foreach (var key in store.ListAsync("", cancellationToken))
                    {
                        if (key.Contains("..", StringComparison.Ordinal) || key.StartsWith('/'))
                        {
                            throw new EsteiraException(ErrorCode.BadInput, $"'{dataset}': object '{key}' cannot be a file name; keep the dataset's objects under plain names");
                        }

                        var target = Path.Combine(temp, key);
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        await using var source = await store.OpenReadAsync(key, cancellationToken)
                            ?? throw new EsteiraException(ErrorCode.ExternalService, $"'{dataset}': object '{key}' vanished while downloading; try again");
                        await using var file = File.Create(target);
                        await source.CopyToAsync(file, cancellationToken);
                        count++;
                        progress($"downloaded {key}");
                    }

                    return count == 0
                        ? throw new EsteiraException(ErrorCode.NotFound, $"'{dataset}': no objects under this prefix; upload the dataset's files there (e.g. aws s3 cp --recursive DIR {plain}/)")
                        : $"downloaded {count} object(s) of {plain}";
                }
                finally
                {
                    (store as IDisposable)?.Dispose();
                }
            });
        }

        return dataset;
    }

    private static async Task<string> DownloadAsync(string folder, Action<string> progress, Func<string, Task<string>> fetch)
    {
        if (Directory.Exists(folder))
        {
            return folder;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        var said = await AtomicFile.WriteDirectoryAsync(folder, fetch);
        progress($"{said} into {folder}");
        return folder;
    }
}
