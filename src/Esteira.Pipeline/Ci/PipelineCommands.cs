namespace Esteira.Pipeline.Ci;

/// <summary>The shell lines both generated pipelines run; one place so that GitLab and GitHub stay alike.</summary>
/// <remarks>
/// Every line calls <c>$ESTEIRA</c>, a pipeline variable: <c>dotnet esteira</c> (the local tool that
/// <c>.config/dotnet-tools.json</c> pins, installed by <c>dotnet tool restore</c>) or <c>esteira</c> in an image that has
/// it on PATH. Never <c>./esteira</c>, which exists only in Esteira's own source tree.
/// </remarks>
public static class PipelineCommands
{
    /// <summary>The image every job runs in unless the workspace names one.</summary>
    public const string Image = "mcr.microsoft.com/dotnet/sdk:10.0";

    /// <summary>How a job calls Esteira installed from the workspace's tool manifest.</summary>
    public const string LocalTool = "dotnet esteira";

    /// <summary>How a job calls Esteira in an image that has it on PATH.</summary>
    public const string OnPath = "esteira";

    /// <summary>LightGBM's native library needs OpenMP, which the SDK image lacks; skipped where it is installed already.</summary>
    /// <remarks>Not <c>grep -q</c>: it stops reading at the first match, ldconfig then dies of SIGPIPE, and a runner shell
    /// with pipefail takes the install branch at random (seen: two jobs' apt-get racing for the lock).</remarks>
    public const string InstallNativeDependencies =
        "ldconfig -p | grep libgomp.so.1 > /dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends libgomp1 > /dev/null)";

    /// <summary>Installs the Esteira version the workspace pins (.config/dotnet-tools.json).</summary>
    public const string RestoreTool = "dotnet tool restore";

    /// <summary>Checks esteira.yaml, the experiments, the dataset and the plan without running anything.</summary>
    public const string Validate = "$ESTEIRA plan";

    /// <summary>Fetches stage outputs other runners already computed from the shared bucket.</summary>
    public const string Pull = "$ESTEIRA pull";

    /// <summary>Shares this job's stage outputs through the bucket.</summary>
    public const string Push = "$ESTEIRA push";

    /// <summary>Trains one experiment, named by the EXPERIMENT variable (never pasted into the script), and records its run
    /// without moving the champion: the gate job decides.</summary>
    public const string Train = "$ESTEIRA run --experiment \"$EXPERIMENT\" --out \"out/$EXPERIMENT\" --no-promote";

    /// <summary>With the embedded SQLite store: hands this job's runs to the gate job as a file of its artifacts.</summary>
    public const string ExportRuns = "$ESTEIRA runs export --out \"out/$EXPERIMENT/runs.db\"";

    /// <summary>With the embedded SQLite store: merges the train jobs' runs into the gate job's store (no file overwrites another).</summary>
    public const string ImportRuns = "$ESTEIRA runs import out/*/runs.db";

    /// <summary>Writes the report and posts it to the merge request or pull request when a token is present.</summary>
    public const string Report = "$ESTEIRA report --post --out report";

    /// <summary>Submits the champion to the deploy target (nothing when the champion was already sent).</summary>
    public const string Deploy = "$ESTEIRA deploy";

    /// <summary>Fails the deploy job early, with the remedy, when the Kaggle credentials are not set.</summary>
    public const string RequireKaggleCredentials =
        "if [ -z \"$KAGGLE_USERNAME\" ] || [ -z \"$KAGGLE_KEY\" ]; then echo \"error: set KAGGLE_USERNAME and KAGGLE_KEY as masked CI/CD variables\" >&2; exit 3; fi";

    /// <summary>Gates the commit's runs against the workspace champion; only <paramref name="onDefaultBranch"/> promotes.</summary>
    public static string Gate(string onDefaultBranch) =>
        $"if {onDefaultBranch}; then $ESTEIRA gate --promote; else $ESTEIRA gate; fi";

    /// <summary>Installs extra Debian packages the experiments need (Jupyter for notebooks), where they are missing.</summary>
    public static string? InstallPackages(IReadOnlyList<string> packages) => packages.Count == 0
        ? null
        : $"dpkg -s {string.Join(' ', packages)} > /dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq --no-install-recommends {string.Join(' ', packages)} > /dev/null)";
}
