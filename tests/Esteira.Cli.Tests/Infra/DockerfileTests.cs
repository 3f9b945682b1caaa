using System.Diagnostics;
using System.Text.Json;

namespace Esteira.Cli.Tests.Infra;

/// <summary>
/// No Docker engine runs here, so the Dockerfile is checked statically, and its build stage is replayed with the
/// local SDK in a copy of the build context; the published folder then runs `esteira run` on the bundled sample
/// laid out as in the runtime image.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly string Root = TestServices.RepositoryRoot;
    private static readonly IReadOnlyList<DockerInstruction> Instructions = Dockerfile.Read(Path.Combine(Root, "Dockerfile"));

    [Fact]
    public void It_builds_with_the_SDK_and_runs_on_a_small_runtime_image()
    {
        var froms = Instructions.Where(i => i.Keyword == "FROM").Select(i => i.Arguments).ToList();

        Assert.Equal(2, froms.Count);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0 AS build", froms[0]);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/(aspnet|runtime):10\.0 AS runtime$", froms[1]);
        var publish = Assert.Single(Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Equal(0, publish.Stage);
        Assert.Contains("src/Esteira.Cli -c Release -r linux-x64 --self-contained false", publish.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void The_runtime_stage_has_libgomp_the_sample_and_esteira_as_entry_point()
    {
        var runtime = Instructions.Where(i => i.Stage == 1).ToList();

        Assert.Contains(runtime, i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get install", StringComparison.Ordinal) && i.Arguments.Contains("libgomp1", StringComparison.Ordinal));
        Assert.Contains(runtime, i => i.Keyword == "COPY" && i.Arguments == "--from=build /app/ /opt/esteira/");
        Assert.Contains(runtime, i => i.Keyword == "COPY" && i.Arguments == "samples/ /opt/esteira/samples/");
        Assert.Equal("[\"esteira\"]", Assert.Single(runtime, i => i.Keyword == "ENTRYPOINT").Arguments);
        Assert.Contains(runtime, i => i.Keyword == "USER" && i.Arguments != "root");
    }

    [Fact]
    public void Everything_it_copies_exists_and_is_not_excluded_by_dockerignore()
    {
        var ignored = Dockerfile.Ignored(Path.Combine(Root, ".dockerignore"));
        var sources = Instructions
            .Where(i => i.Keyword == "COPY" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToList();

        Assert.Contains("src/", sources);
        foreach (var source in sources)
        {
            Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"COPY source '{source}' is missing");
            Assert.DoesNotContain(ignored, pattern => pattern.TrimEnd('/') == source.TrimEnd('/'));
        }

        // Build outputs never enter the context: they would be stale and large.
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    /// <summary>SLOW (about 1-2 minutes): publishes the CLI as the Dockerfile does, then runs it on the sample.</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void Slow_the_published_CLI_runs_the_bundled_sample_from_the_image_layout()
    {
        using var temp = new TempFolder();
        var context = temp.Combine("context");
        var app = temp.Combine("opt", "esteira");
        CopyBuildContext(context);

        // The build stage's publish command, with /app redirected into the temporary folder.
        var publish = Assert.Single(Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var command = publish.Arguments[publish.Arguments.IndexOf("dotnet publish", StringComparison.Ordinal)..].Replace("-o /app", $"-o {app}", StringComparison.Ordinal);
        var (publishExit, publishOutput) = Run("dotnet", command["dotnet ".Length..] + " -nologo -v q", context);
        Assert.True(publishExit == 0, $"dotnet publish failed ({publishExit}):\n{publishOutput}");

        // The runtime stage's layout: the published folder with samples/ beside the executable, run from an empty folder.
        CopyTree(Path.Combine(Root, "samples"), Path.Combine(app, "samples"));
        var workspace = temp.Combine("workspace");
        Directory.CreateDirectory(workspace);
        var (exit, output) = Run(Path.Combine(app, "esteira"), "run --out out --json --iterations 50", workspace);

        Assert.True(exit == 0, $"esteira run exited {exit}:\n{output}");
        Assert.True(new FileInfo(Path.Combine(workspace, "out", "submission.csv.gz")).Length > 0);
        using var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
    }

    private static void CopyBuildContext(string context)
    {
        foreach (var instruction in Instructions.Where(i => i.Keyword == "COPY" && i.Stage == 0))
        {
            var parts = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var source in parts[..^1])
            {
                var from = Path.Combine(Root, source);
                if (File.Exists(from))
                {
                    Directory.CreateDirectory(context);
                    File.Copy(from, Path.Combine(context, source));
                }
                else
                {
                    CopyTree(from, Path.Combine(context, source));
                }
            }
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static (int Exit, string Output) Run(string file, string arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // The apphost finds the runtime through DOTNET_ROOT when it is not in a default location.
        start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Environment.ProcessPath) is { } dir && File.Exists(Path.Combine(dir, "dotnet")) ? dir : "/usr/share/dotnet";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
