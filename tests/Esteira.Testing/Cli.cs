using System.Diagnostics;

namespace Esteira.Testing;

/// <summary>
/// Runs the CLI as a separate process: the <c>esteira.dll</c> built beside the tests, so a project that uses it references
/// src/Esteira.Cli. A test namespace below <c>Esteira</c> sees the namespace <c>Esteira.Cli</c> before this class, so its
/// files name it through <c>using Cli = Esteira.Testing.Cli;</c> inside the namespace.
/// </summary>
public static class Cli
{
    /// <summary>Variables CI sets that must not leak from the machine running the tests into the CLI under test.</summary>
    private static readonly string[] Scrubbed =
    [
        "GITHUB_ACTIONS", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_SERVER_URL", "GITHUB_RUN_ID",
        "GITLAB_CI", "GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "CI_JOB_URL", "CI_PROJECT_DIR", "CI_PROJECT_URL",
        "ESTEIRA_ARTIFACTS_URI", "ESTEIRA_TRACKING_URI",
    ];

    public static Process Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    /// <summary>Starts esteira with <paramref name="environment"/> over the test's own, less the CI variables (a null value removes a variable).</summary>
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var name in Scrubbed)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "esteira.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    /// <summary>
    /// Reads the process's standard output until a line matches (true) or the output ends (false); standard error is
    /// drained meanwhile, so that the process never blocks on it.
    /// </summary>
    public static async Task<bool> WaitForLineAsync(Process process, Func<string, bool> match, TimeSpan timeout)
    {
        _ = process.StandardError.ReadToEndAsync();
        using var stop = new CancellationTokenSource(timeout);
        while (await process.StandardOutput.ReadLineAsync(stop.Token) is { } line)
        {
            if (match(line))
            {
                return true;
            }
        }

        return false;
    }

    public static (int Exit, string Out, string Err) Esteira(string workingDirectory, params string[] args) => Esteira(workingDirectory, null, args);

    public static (int Exit, string Out, string Err) Esteira(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var process = Start(workingDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
