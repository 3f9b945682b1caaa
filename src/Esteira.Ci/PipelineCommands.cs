namespace Esteira.Ci;

/// <summary>The shell lines both generated pipelines run; one place so that GitLab and GitHub stay alike.</summary>
public static class PipelineCommands
{
    /// <summary>The image every job runs in.</summary>
    public const string Image = "mcr.microsoft.com/dotnet/sdk:10.0";

    /// <summary>LightGBM's native library needs OpenMP, which the SDK image lacks.</summary>
    public const string InstallNativeDependencies = "apt-get update -qq && apt-get install -y -qq --no-install-recommends libgomp1 > /dev/null";

    /// <summary>Checks esteira.yaml, the experiments and the plan without running anything.</summary>
    public const string Validate = "./esteira plan";

    /// <summary>Fetches stage outputs other runners already computed from the shared bucket.</summary>
    public const string Pull = "./esteira pull";

    /// <summary>Shares this job's stage outputs through the bucket.</summary>
    public const string Push = "./esteira push";

    /// <summary>Trains one experiment, named by the EXPERIMENT variable (never pasted into the script, so no quoting games).</summary>
    public const string Train = "./esteira run --experiment \"$EXPERIMENT\" --out \"out/$EXPERIMENT\"";

    /// <summary>Runs every experiment; with warm caches it trains nothing again and only records the runs.</summary>
    public const string RunAll = "./esteira run --out out";

    /// <summary>Compares the challengers with the champion against the declared thresholds; exit 1 refuses.</summary>
    public const string Gate = "./esteira gate";

    /// <summary>Writes the report and posts it to the merge request or pull request when a token is present.</summary>
    public const string Report = "./esteira report --post --out report";

    /// <summary>Submits the champion to the deploy target.</summary>
    public const string Deploy = "./esteira deploy";

    /// <summary>Fails the deploy job early, with the remedy, when the Kaggle credentials are not set.</summary>
    public const string RequireKaggleCredentials =
        "if [ -z \"$KAGGLE_USERNAME\" ] || [ -z \"$KAGGLE_KEY\" ]; then echo \"error: set KAGGLE_USERNAME and KAGGLE_KEY as masked CI/CD variables\" >&2; exit 3; fi";
}
