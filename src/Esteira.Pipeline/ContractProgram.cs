using System.Diagnostics;

namespace Esteira.Pipeline;

/// <summary>
/// How one experiment program is started under the contract of docs/contract.md; <see cref="ContractProgram.Run"/> runs it.
/// </summary>
/// <param name="Start">The process; the ESTEIRA_* variables are added to it.</param>
/// <param name="Display">How messages name the program, e.g. <c>'python3 train.py'</c> or <c>notebook train.ipynb</c>.</param>
/// <param name="WorkFolder">The folder given as ESTEIRA_OUTPUT; it must exist and be empty.</param>
/// <param name="Log">The file that receives the program's standard output and error.</param>
/// <param name="Timeout">How long the program may run before it is stopped.</param>
/// <param name="DescribeFailure">Turns an exit code and the log's path into the one-line reason of a failed run.</param>
/// <param name="StandardInput">A file fed to the program's standard input, or null for none.</param>
internal sealed record ContractProgramSpec(
    ProcessStartInfo Start,
    string Display,
    string WorkFolder,
    string Log,
    TimeSpan Timeout,
    Func<int, string, string> DescribeFailure,
    string? StandardInput = null);

/// <summary>
/// The part every experiment kind that runs a program shares (command, notebook): set the ESTEIRA_* variables, run
/// with a log and a timeout, then check <c>oof.npy</c> and <c>test.npy</c> and compute every metric in Esteira.
/// </summary>
internal static class ContractProgram
{
    public static ModelMetrics Run(Experiment experiment, string features, string dataPath, string output, IRunObserver observer, ContractProgramSpec program)
    {
        var start = program.Start;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = program.StandardInput is not null;
        start.Environment["ESTEIRA_FEATURES"] = features;
        start.Environment["ESTEIRA_DATA"] = dataPath;
        start.Environment["ESTEIRA_OUTPUT"] = program.WorkFolder;
        start.Environment["ESTEIRA_EXPERIMENT"] = experiment.Name;
        start.Environment["ESTEIRA_SEED"] = experiment.Gbm.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var watch = Stopwatch.StartNew();
        var stage = experiment.Kind == ExperimentKind.Notebook ? "notebook" : "command";
        observer.StageStarted(stage, null, "s");
        using (var logWriter = new StreamWriter(program.Log))
        using (var process = Process.Start(start) ?? throw new EsteiraException(ErrorCode.PipelineFailed, $"experiment {experiment.Name}: could not start {start.FileName}"))
        {
            var gate = new Lock();
            void Copy(string? line)
            {
                if (line is not null)
                {
                    lock (gate)
                    {
                        logWriter.WriteLine(line);
                    }
                }
            }

            process.OutputDataReceived += (_, e) => Copy(e.Data);
            process.ErrorDataReceived += (_, e) => Copy(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (program.StandardInput is not null)
            {
                using (var input = File.OpenRead(program.StandardInput))
                {
                    input.CopyTo(process.StandardInput.BaseStream);
                }

                process.StandardInput.Close();
            }

            if (!process.WaitForExit(program.Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new EsteiraException(ErrorCode.PipelineFailed,
                    $"experiment {experiment.Name}: {program.Display} did not finish within its timeout of {experiment.TimeoutSeconds} s and was stopped; raise 'timeout' in experiment.yaml or make it faster");
            }

            process.WaitForExit();
            logWriter.Flush();
            if (process.ExitCode != 0)
            {
                throw new EsteiraException(ErrorCode.PipelineFailed, $"experiment {experiment.Name}: {program.DescribeFailure(process.ExitCode, program.Log)}");
            }
        }

        observer.StageFinished(stage, watch.Elapsed.TotalSeconds, (experiment.Kind == ExperimentKind.Notebook ? experiment.Notebook : experiment.Command) ?? "");
        var validRows = ColumnTable.Rows(Path.Combine(features, "valid"));
        var testRows = ColumnTable.Rows(Path.Combine(features, "test"));
        var oof = Load(experiment, program.WorkFolder, "oof.npy", validRows, "features/valid");
        var test = Load(experiment, program.WorkFolder, "test.npy", testRows, "features/test");
        return Profiles.CompetitionProfiles.ForFeatures(features).WritePredictions(features, oof, test, [], output);
    }

    /// <summary>The last non-blank line of a log, trimmed, or "(no output)".</summary>
    public static string LastLine(string log) =>
        File.ReadLines(log).LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "(no output)";

    private static float[] Load(Experiment experiment, string folder, string name, int expectedRows, string table)
    {
        var path = Path.Combine(folder, name);
        var display = $"experiment {experiment.Name}: {name}";
        if (!File.Exists(path))
        {
            var writer = experiment.Kind == ExperimentKind.Notebook ? "notebook" : "command";
            throw new EsteiraException(ErrorCode.PipelineFailed, $"{display}: missing; the {writer} must write it to $ESTEIRA_OUTPUT (see docs/contract.md)");
        }

        float[] values;
        try
        {
            values = ColumnTable.ReadFloatFile(path, display);
        }
        catch (EsteiraException e)
        {
            throw new EsteiraException(ErrorCode.PipelineFailed, e.Message);
        }

        if (values.Length != expectedRows)
        {
            throw new EsteiraException(ErrorCode.PipelineFailed,
                $"{display}: {values.Length} predictions, expected {expectedRows} (one per row of {table}, in order)");
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]) || values[i] < 0)
            {
                throw new EsteiraException(ErrorCode.PipelineFailed,
                    $"{display}: row {i} of {table} has prediction {values[i]}, expected a finite meter_reading ≥ 0");
            }
        }

        return values;
    }
}
