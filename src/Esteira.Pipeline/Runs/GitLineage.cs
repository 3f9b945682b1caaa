using System.ComponentModel;
using System.Diagnostics;

namespace Esteira.Pipeline.Runs;

/// <summary>The commit a run was built from, recorded in its lineage and matched by <c>esteira gate</c>.</summary>
public static class GitLineage
{
    /// <summary>The variables GitLab CI and GitHub Actions set to the commit being built, checked in this order.</summary>
    private static readonly string[] CommitVariables = ["CI_COMMIT_SHA", "GITHUB_SHA"];

    /// <summary>The commit being built: the CI's own variable first (a CI checkout may be detached or shallow), else git.</summary>
    /// <param name="root">The workspace, a folder inside a git working tree or not.</param>
    /// <param name="cancellationToken">Stops waiting for git.</param>
    /// <returns>
    /// The commit and whether the working tree has uncommitted changes; the latter is unknown (null) when the commit
    /// comes from a CI variable, both are null outside a git working tree or without git.
    /// </returns>
    public static async Task<(string? Commit, bool? Dirty)> CommitAsync(string root, CancellationToken cancellationToken = default)
    {
        foreach (var name in CommitVariables)
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } sha)
            {
                return (sha, null);
            }
        }

        try
        {
            var commit = await RunGitAsync(root, cancellationToken, "rev-parse", "HEAD");
            return commit is null ? (null, null) : (commit, (await RunGitAsync(root, cancellationToken, "status", "--porcelain"))?.Length > 0);
        }
        catch (Win32Exception)
        {
            return (null, null); // no git on this machine
        }
    }

    private static async Task<string?> RunGitAsync(string root, CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        // Both pipes are drained at once: git blocks when the one nobody reads fills up.
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await Task.WhenAll(output, error);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0 ? (await output).Trim() : null;
    }
}
