namespace Esteira.Pipeline.Ci;

/// <summary>The CI systems Esteira generates pipelines for.</summary>
public enum CiPlatform
{
    /// <summary>GitLab CI/CD: <c>.gitlab-ci.yml</c>.</summary>
    GitLab,

    /// <summary>GitHub Actions: <c>.github/workflows/esteira.yml</c>.</summary>
    GitHub,
}

/// <summary>What <see cref="CiGeneration.Write"/> did.</summary>
/// <param name="Path">The file written (absolute).</param>
/// <param name="Shape">The workspace shape the pipeline was generated for.</param>
/// <param name="Replaced">True when an existing file was overwritten (<c>--force</c>).</param>
public sealed record CiWriteResult(string Path, WorkspaceShape Shape, bool Replaced);

/// <summary>Generates a pipeline for a workspace and writes it atomically.</summary>
public static class CiGeneration
{
    /// <summary>The default file for <paramref name="platform"/>, relative to the workspace.</summary>
    public static string DefaultPath(CiPlatform platform) => platform switch
    {
        CiPlatform.GitLab => GitLabCiGenerator.DefaultPath,
        CiPlatform.GitHub => GitHubWorkflowGenerator.DefaultPath,
        _ => throw new ArgumentOutOfRangeException(nameof(platform), platform, "unknown CI platform"),
    };

    /// <summary>The pipeline text for <paramref name="shape"/>.</summary>
    public static string Generate(CiPlatform platform, WorkspaceShape shape, string defaultBranch = "main") => platform switch
    {
        CiPlatform.GitLab => GitLabCiGenerator.Generate(shape),
        CiPlatform.GitHub => GitHubWorkflowGenerator.Generate(shape, defaultBranch),
        _ => throw new ArgumentOutOfRangeException(nameof(platform), platform, "unknown CI platform"),
    };

    /// <summary>Reads the workspace in <paramref name="workspace"/>, generates its pipeline and writes it.</summary>
    /// <param name="platform">GitLab or GitHub.</param>
    /// <param name="workspace">The workspace folder (holds esteira.yaml, or not).</param>
    /// <param name="outPath">Where to write; relative to <paramref name="workspace"/>; null for the platform's default.</param>
    /// <param name="force">Overwrite an existing file.</param>
    /// <param name="defaultBranch">GitHub only: the branch whose pushes run the pipeline and deploy.</param>
    /// <param name="image">The jobs' image, overriding esteira.yaml's <c>ci.image</c>; it must have esteira on PATH.</param>
    /// <param name="aptPackages">Debian packages the jobs install, overriding esteira.yaml's <c>ci.apt</c>.</param>
    /// <exception cref="EsteiraException">The file exists and <paramref name="force"/> is false (<see cref="ErrorCode.Conflict"/>),
    /// esteira.yaml is malformed (<see cref="ErrorCode.BadInput"/>), or the file cannot be written.</exception>
    public static CiWriteResult Write(CiPlatform platform, string workspace, string? outPath, bool force, string defaultBranch = "main",
        string? image = null, IReadOnlyList<string>? aptPackages = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var shape = WorkspaceShapeReader.Read(workspace);

        // Options override esteira.yaml's ci: section.
        shape = shape with
        {
            Image = image ?? shape.Image,
            AptPackages = aptPackages is { Count: > 0 } ? WorkspaceShapeReader.CheckAptPackages(aptPackages, "--apt") : shape.AptPackages,
        };
        var path = Path.GetFullPath(outPath ?? DefaultPath(platform), Path.GetFullPath(workspace));
        var exists = File.Exists(path);
        if (exists && !force)
        {
            throw new EsteiraException(ErrorCode.Conflict,
                $"{path} already exists; pass --force to overwrite it, or --out PATH to write elsewhere");
        }

        if (Directory.Exists(path))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{path} is a folder; pass --out with a file path");
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllText(path, Generate(platform, shape, defaultBranch));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{path} cannot be written ({e.GetType().Name}: {e.Message}); check the folder and its permissions", e);
        }

        return new CiWriteResult(path, shape, exists);
    }
}
