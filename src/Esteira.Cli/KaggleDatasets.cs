using Esteira.Deploy.Kaggle;

namespace Esteira.Cli;

/// <summary>
/// Resolves <c>kaggle://COMPETITION</c> to a local folder: the competition's files, downloaded once into
/// <c>.esteira/datasets/COMPETITION/</c> (into a temporary folder, then renamed, so an interrupted download is never used).
/// The endpoint follows the official CLI (<c>KAGGLE_API_ENVIRONMENT</c>), or <c>ESTEIRA_KAGGLE_SERVER</c> for our own server.
/// </summary>
internal static class KaggleDatasets
{
    public const string Scheme = "kaggle://";

    public static string Resolve(string dataset, string stateFolder, Action<string> progress)
    {
        if (!dataset.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return dataset;
        }

        var competition = dataset[Scheme.Length..].Trim('/');
        if (competition.Length == 0 || competition.Contains('/', StringComparison.Ordinal) || competition.Contains("..", StringComparison.Ordinal))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"'{dataset}': expected kaggle://COMPETITION, e.g. kaggle://ashrae-energy-prediction");
        }

        var folder = Path.Combine(stateFolder, "datasets", competition);
        if (Directory.Exists(folder))
        {
            return folder;
        }

        var env = KaggleCredentialLocator.ProcessEnvironment();
        using var client = new KaggleClient(new KaggleClientOptions
        {
            ApiBase = KaggleEndpoint.Resolve(Environment.GetEnvironmentVariable("ESTEIRA_KAGGLE_SERVER"), env),
            Credentials = KaggleCredentialLocator.Locate(env),
        });
        var temp = folder + $".tmp-{Environment.ProcessId}";
        Directory.CreateDirectory(temp);
        try
        {
            var files = client.DownloadCompetitionFilesAsync(competition, temp, new Progress<string>(progress)).GetAwaiter().GetResult();
            Directory.Move(temp, folder);
            progress($"downloaded {files.Count} file(s) of {competition} into {folder}");
            return folder;
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }
}
