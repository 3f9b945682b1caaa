using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Esteira.Pipeline;

/// <summary>
/// Runs a notebook experiment (<c>kind: notebook</c>) under the same contract as a command: the notebook's parameters
/// are injected into a copy in the stage's work folder, Debian's <c>jupyter nbconvert --execute</c> runs the copy
/// headless with the python3 kernel in the experiment's folder, and the executed notebook is kept beside the predictions.
/// </summary>
public static partial class NotebookExperiment
{
    /// <summary>The executed notebook, in the train stage's output folder.</summary>
    public const string ExecutedFile = "executed.ipynb";

    /// <summary>The copy that is run: the source notebook with the parameters injected.</summary>
    public const string InputFile = "parameterized.ipynb";

    /// <summary>nbconvert's output, in the train stage's output folder.</summary>
    public const string LogFile = "nbconvert.log";

    /// <summary>Extra seconds nbconvert gets beyond the per-cell timeout to start and stop the kernel.</summary>
    private const int StartupSeconds = 120;

    /// <summary>Runs the experiment's notebook with nbconvert, parameters injected, then checks and scores its predictions into <paramref name="output"/>.</summary>
    public static ModelMetrics Run(Experiment experiment, string features, string dataPath, string output, IRunObserver observer)
    {
        RequireJupyter(experiment.Name, Environment.GetEnvironmentVariable("PATH"));
        var source = Path.GetFullPath(Path.Combine(experiment.Folder, experiment.Notebook!));
        var input = Path.Combine(output, InputFile);
        File.WriteAllText(input, NotebookParameters.Inject(File.ReadAllText(source), experiment.Parameters, $"experiment {experiment.Name}: {experiment.Notebook}"));

        var work = Path.Combine(output, "notebook-output");
        Directory.CreateDirectory(work);

        // The copy goes in on standard input, so the kernel starts in the experiment's folder (as a command does)
        // while the source notebook is only ever read.
        var start = new ProcessStartInfo("jupyter") { WorkingDirectory = experiment.Folder };
        foreach (var argument in new[]
        {
            "nbconvert", "--to", "notebook", "--execute", "--stdin",
            "--output", Path.GetFileNameWithoutExtension(ExecutedFile), "--output-dir", output,
            $"--ExecutePreprocessor.timeout={experiment.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)}",
            "--ExecutePreprocessor.kernel_name=python3",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
        var display = $"notebook {experiment.Notebook}";
        var program = new ContractProgramSpec(start, display, work, Path.Combine(output, LogFile), TimeSpan.FromSeconds(experiment.TimeoutSeconds + StartupSeconds),
            (code, log) => $"{display} failed: {DescribeFailure(log, experiment.TimeoutSeconds)}; see {log}", input);
        return ContractProgram.Run(experiment, features, dataPath, output, observer, program);
    }

    /// <summary>Fails with one line when <c>jupyter nbconvert</c> is not on <paramref name="path"/> (a PATH value).</summary>
    public static void RequireJupyter(string experimentName, string? path)
    {
        var folders = (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        bool Found(string tool) => folders.Any(f => File.Exists(Path.Combine(f, tool)));
        if (!Found("jupyter") || !Found("jupyter-nbconvert"))
        {
            throw new EsteiraException(ErrorCode.PipelineFailed,
                $"experiment {experimentName}: kind notebook needs jupyter nbconvert; install Debian's jupyter-nbconvert and python3-ipykernel (or pip install nbconvert ipykernel)");
        }
    }

    /// <summary>
    /// The one-line reason in an nbconvert log: the failing cell's <c>ename: evalue</c>, a cell timeout, or else the log's last line.
    /// </summary>
    public static string DescribeFailure(string log, int timeoutSeconds)
    {
        var lines = File.ReadAllLines(log).Select(l => Ansi().Replace(l, "").TrimEnd()).ToList();
        if (lines.Any(l => l.Contains("CellTimeoutError", StringComparison.Ordinal)))
        {
            return $"a cell did not finish within its timeout of {timeoutSeconds} s; raise 'timeout' in experiment.yaml or make it faster";
        }

        if (lines.Any(l => l.Contains("CellExecutionError", StringComparison.Ordinal)))
        {
            // nbclient ends its message with "ename: evalue"; an evalue may span lines, so join what follows.
            var last = lines.FindLastIndex(l => ErrorLine().IsMatch(l));
            if (last >= 0)
            {
                var error = string.Join(" ", lines.Skip(last).Select(l => l.Trim()).Where(l => l.Length > 0));
                return "a cell raised " + (error.Length > 300 ? error[..300] + "…" : error);
            }
        }

        return "nbconvert exited with an error (last output: " + (lines.LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "(no output)") + ")";
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.]*:( |$)")]
    private static partial Regex ErrorLine();
}
