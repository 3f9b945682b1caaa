using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;

namespace Esteira.Cli.Tests;

/// <summary>
/// SLOW (a few minutes): packs src/Esteira.Cli as a .NET tool once, installs it with <c>--tool-path</c>, and uses the
/// installed <c>esteira</c> as a user would, from folders far from the repository.
/// </summary>
[Trait("Category", "Slow")]
[Collection(ToolPackage.Collection)]
public sealed class ToolPackageTests(ToolPackage tool)
{
    [Fact]
    public void The_installed_tool_prints_the_version_set_in_Directory_Build_props()
    {
        var (exit, stdout, stderr) = tool.Esteira(tool.Temp("version"), "--version");

        Assert.True(exit == 0, stderr);
        Assert.Equal(ToolPackage.Version, stdout.Trim());
    }

    [Fact]
    public void Init_pins_the_tool_in_a_local_manifest_that_dotnet_tool_restore_brings_back()
    {
        var folder = tool.Temp("init");
        var (exit, stdout, stderr) = tool.Esteira(folder, "init", "ws");
        Assert.True(exit == 0, stderr + stdout);

        var workspace = Path.Combine(folder, "ws");
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(workspace, ".config", "dotnet-tools.json"))))
        {
            Assert.True(manifest.RootElement.GetProperty("isRoot").GetBoolean());
            var esteira = manifest.RootElement.GetProperty("tools").GetProperty("esteira");
            Assert.Equal(ToolPackage.Version, esteira.GetProperty("version").GetString());
            Assert.Equal("esteira", Assert.Single(esteira.GetProperty("commands").EnumerateArray()).GetString());
        }

        // A clone of the workspace: the manifest plus a nuget.config naming where the package is published.
        File.WriteAllText(Path.Combine(workspace, "nuget.config"), tool.NuGetConfig);
        var restore = tool.Dotnet(workspace, "tool", "restore");
        Assert.True(restore.Exit == 0, restore.Out + restore.Err);
        var (runExit, version, runErr) = tool.Dotnet(workspace, "tool", "run", "esteira", "--", "--version");
        Assert.True(runExit == 0, runErr);
        Assert.Equal(ToolPackage.Version, version.Trim());
    }

    [Fact]
    public void Init_leaves_a_manifest_without_esteira_alone_and_says_so()
    {
        var folder = tool.Temp("foreign");
        var manifest = Path.Combine(folder, "ws", ".config", "dotnet-tools.json");
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        const string Foreign = """{"version":1,"isRoot":true,"tools":{}}""";
        File.WriteAllText(manifest, Foreign);

        var (exit, stdout, stderr) = tool.Esteira(folder, "init", "ws");

        Assert.True(exit == 0, stderr);
        Assert.Equal(Foreign, File.ReadAllText(manifest));
        Assert.Contains("does not list esteira; left as is", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_installed_tool_trains_on_the_sample_it_carries()
    {
        // No --data and no samples/ above this folder: the sample packed beside esteira.dll is the one found.
        var folder = tool.Temp("run");
        var (exit, stdout, stderr) = tool.Esteira(folder, "run", "--out", "out", "--json", "--iterations", "20", "--folds", "2");

        Assert.True(exit == 0, stderr + stdout);
        using var json = JsonDocument.Parse(stdout);
        Assert.InRange(json.RootElement.GetProperty("cv_rmsle").GetDouble(), 0, 2);
        Assert.True(new FileInfo(Path.Combine(folder, "out", "submission.csv.gz")).Length > 0);
    }
}

/// <summary>The test classes that share one packed and installed tool (packing takes about a minute).</summary>
[CollectionDefinition(ToolPackage.Collection)]
public sealed class ToolPackageGroup : ICollectionFixture<ToolPackage>;

/// <summary>Packs the CLI into a temporary folder and installs the package from there; deletes it all on dispose.</summary>
public sealed class ToolPackage : IDisposable
{
    public const string Collection = "packed tool";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);
    private readonly string _root = Directory.CreateTempSubdirectory("esteira-tool-").FullName;

    /// <summary>The version Directory.Build.props sets: the package's, and what <c>esteira --version</c> prints.</summary>
    public static string Version { get; } =
        XDocument.Load(Path.Combine(Repository.Root, "Directory.Build.props")).Descendants("Version").Single().Value;

    public ToolPackage()
    {
        try
        {
            var pack = Run("dotnet", _root, ["pack", Path.Combine(Repository.Root, "src", "Esteira.Cli"), "-c", "Release", "-o", Feed, "-nologo", "--disable-build-servers"], isolated: false);
            Assert.True(pack.Exit == 0, "dotnet pack failed:\n" + pack.Out + pack.Err);
            Assert.True(File.Exists(Path.Combine(Feed, $"esteira.{Version}.nupkg")), "no esteira." + Version + ".nupkg in " + Feed);

            File.WriteAllText(Path.Combine(_root, "nuget.config"), NuGetConfig);
            var install = Dotnet(_root, "tool", "install", "esteira", "--version", Version, "--tool-path", ToolPath, "--configfile", Path.Combine(_root, "nuget.config"));
            Assert.True(install.Exit == 0, "dotnet tool install failed:\n" + install.Out + install.Err);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The folder the package was packed into: the team's NuGet feed.</summary>
    public string Feed => Path.Combine(_root, "nupkg");

    /// <summary>The installed tool's command.</summary>
    public string Executable => Path.Combine(_root, "tools", "esteira");

    private string ToolPath => Path.Combine(_root, "tools");

    /// <summary>A nuget.config whose only source is the folder the package was packed into.</summary>
    public string NuGetConfig => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="esteira-test" value="{Feed}" />
          </packageSources>
        </configuration>
        """;

    /// <summary>A new empty folder under the temporary root.</summary>
    public string Temp(string name) => Directory.CreateDirectory(Path.Combine(_root, "work", name)).FullName;

    /// <summary>Runs the installed tool's command.</summary>
    public (int Exit, string Out, string Err) Esteira(string workingDirectory, params string[] args) =>
        Run(Path.Combine(ToolPath, "esteira"), workingDirectory, args, isolated: true);

    /// <summary>
    /// Runs the SDK with its own global packages folder and CLI home (where the local-tool resolver cache lives), so
    /// neither a copy of esteira cached by an earlier run nor a cache entry pointing at one is ever used.
    /// </summary>
    public (int Exit, string Out, string Err) Dotnet(string workingDirectory, params string[] args) =>
        Run("dotnet", workingDirectory, args, isolated: true);

    /// <summary>Runs any program with the isolated SDK environment plus <paramref name="environment"/>.</summary>
    public (int Exit, string Out, string Err) Run(string file, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run(file, workingDirectory, args, isolated: true, environment);

    /// <summary>The environment the isolated runs get: where the runtime is, and private NuGet and CLI homes.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["OMP_WAIT_POLICY"] = "PASSIVE",
        // The tool's apphost finds the runtime through DOTNET_ROOT when it is not in a default location.
        ["DOTNET_ROOT"] = Path.GetDirectoryName(System.Environment.ProcessPath) is { } dir && File.Exists(Path.Combine(dir, "dotnet")) ? dir : "/usr/share/dotnet",
        ["NUGET_PACKAGES"] = Path.Combine(_root, "nuget-packages"),
        ["DOTNET_CLI_HOME"] = Path.Combine(_root, "cli-home"),
    };

    private (int Exit, string Out, string Err) Run(string file, string workingDirectory, string[] args, bool isolated, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in Environment.Where(e => isolated || e.Key is not ("NUGET_PACKAGES" or "DOTNET_CLI_HOME")).Concat(environment ?? new Dictionary<string, string>()))
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Patience))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {Patience}");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary folder must not fail the run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
