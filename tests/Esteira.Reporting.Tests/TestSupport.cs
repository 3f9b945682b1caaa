using System.Diagnostics;
using Amazon.Runtime;
using Esteira.Artifacts;
using Esteira.Pipeline;

namespace Esteira.Reporting.Tests;

/// <summary>The real services the tests use (started by <c>source .ci/services.sh</c>).</summary>
internal static class TestServices
{
    public static string S3Endpoint =>
        Environment.GetEnvironmentVariable("ESTEIRA_TEST_S3") is { Length: > 0 } endpoint
            ? endpoint
            : throw new InvalidOperationException(
                "ESTEIRA_TEST_S3 is not set: the push/pull tests need the local S3-API server. Run `source .ci/services.sh` in this shell, then rerun the tests.");

    /// <summary>The local server accepts any credentials; the tests pass them through the variables a user would set.</summary>
    public static Func<string, string?> S3Environment(Func<string, string?>? more = null) => name => name switch
    {
        "AWS_ACCESS_KEY_ID" => "S3RVER",
        "AWS_SECRET_ACCESS_KEY" => "S3RVER",
        "AWS_REGION" => "us-east-1",
        _ => more?.Invoke(name),
    };

    /// <summary>A fresh bucket on the local server.</summary>
    public static async Task<string> NewBucketAsync()
    {
        var bucket = "esteira-sync-" + Guid.NewGuid().ToString("N")[..16];
        using var store = new S3ArtifactStore(bucket, "", new S3StoreOptions { ServiceUrl = S3Endpoint, Credentials = new BasicAWSCredentials("S3RVER", "S3RVER") },
            new AwsEnvironment(_ => null));
        await store.EnsureBucketAsync();
        return bucket;
    }

    public static string S3Uri(string bucket, string prefix) => $"s3://{bucket}/{prefix}?endpoint={Uri.EscapeDataString(S3Endpoint)}&path_style=true";
}

/// <summary>Builds workspaces on the kit's <see cref="TinyGepiii"/> dataset.</summary>
internal static class TinyWorkspace
{
    /// <summary>Small LightGBM settings, two folds: the whole pipeline runs in seconds.</summary>
    public const string Experiment = "baseline";

    /// <summary>esteira init, then cv.folds 2 and small LightGBM parameters.</summary>
    public static Workspace Create(string root, string data, int iterations = 20, int leaves = 15)
    {
        WorkspaceTemplate.Create(root, data);
        var config = System.IO.Path.Combine(root, Workspace.FileName);
        File.WriteAllText(config, File.ReadAllText(config).Replace("folds: 3", "folds: 2", StringComparison.Ordinal));
        SetParams(root, iterations, leaves);
        return Workspace.Load(root);
    }

    public static void SetParams(string root, int iterations, int leaves) =>
        File.WriteAllText(System.IO.Path.Combine(root, "experiments", Experiment, Workspace.ExperimentFile), $"""
            kind: lightgbm
            seed: 42
            params:
              iterations: {iterations}
              leaves: {leaves}
              learning_rate: 0.1
              min_leaf_rows: 20
              threads: 1

            """);

    public static WorkspaceRunResult Run(Workspace workspace) =>
        WorkspaceRunner.Run(workspace, new RunRequest { OutDir = System.IO.Path.Combine(workspace.Root, "out") }, SilentObserver.Instance);

    /// <summary>Copies a workspace (config, experiments and .esteira) beside the original, so that a test can change it freely.</summary>
    public static Workspace Clone(Workspace source, string root)
    {
        Copy(source.Root, root, skip: "out");
        return Workspace.Load(root);
    }

    private static void Copy(string from, string to, string skip)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            if (!System.IO.Path.GetFileName(file).StartsWith("lock", StringComparison.Ordinal))
            {
                File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
            }
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            if (System.IO.Path.GetFileName(dir) != skip)
            {
                Copy(dir, System.IO.Path.Combine(to, System.IO.Path.GetFileName(dir)), skip);
            }
        }
    }
}

/// <summary>Runs the real <c>esteira</c> CLI (built beside the tests) in its own process, with a controlled environment.</summary>
internal static class Cli
{
    /// <summary>Variables CI sets that must not leak from the machine running the tests into the CLI under test.</summary>
    private static readonly string[] Scrubbed =
    [
        "GITHUB_ACTIONS", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_SERVER_URL", "GITHUB_RUN_ID",
        "GITLAB_CI", "GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "CI_JOB_URL", "CI_PROJECT_DIR", "CI_PROJECT_URL",
        "ESTEIRA_ARTIFACTS_URI", "ESTEIRA_TRACKING_URI",
    ];

    public static (int Exit, string Out, string Err) Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(System.IO.Path.Combine(AppContext.BaseDirectory, "esteira.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in Scrubbed)
        {
            start.Environment.Remove(name);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "200";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
