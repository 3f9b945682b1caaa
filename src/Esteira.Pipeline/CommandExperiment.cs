using System.Diagnostics;

namespace Esteira.Pipeline;

/// <summary>
/// Runs a command experiment under the contract of docs/contract.md: Esteira prepares the inputs, the program
/// writes <c>oof.npy</c> and <c>test.npy</c>, and Esteira checks them and computes every metric itself.
/// </summary>
public static class CommandExperiment
{
    public static ModelMetrics Run(Experiment experiment, string features, string dataPath, string output, IRunObserver observer)
    {
        var work = Path.Combine(output, "command-output");
        Directory.CreateDirectory(work);
        var log = Path.Combine(output, "command.log");
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = experiment.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(experiment.Command!);
        start.Environment["ESTEIRA_FEATURES"] = features;
        start.Environment["ESTEIRA_DATA"] = dataPath;
        start.Environment["ESTEIRA_OUTPUT"] = work;
        start.Environment["ESTEIRA_EXPERIMENT"] = experiment.Name;
        start.Environment["ESTEIRA_SEED"] = experiment.Gbm.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var watch = Stopwatch.StartNew();
        observer.StageStarted("command", null, "s");
        using (var logWriter = new StreamWriter(log))
        using (var process = Process.Start(start) ?? throw new EsteiraException(ErrorCode.PipelineFailed, $"experiment {experiment.Name}: could not start /bin/sh"))
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
            if (!process.WaitForExit(TimeSpan.FromSeconds(experiment.TimeoutSeconds)))
            {
                process.Kill(entireProcessTree: true);
                throw new EsteiraException(ErrorCode.PipelineFailed,
                    $"experiment {experiment.Name}: '{experiment.Command}' did not finish within its timeout of {experiment.TimeoutSeconds} s and was stopped; raise 'timeout' in experiment.yaml or make it faster");
            }

            process.WaitForExit();
            logWriter.Flush();
            if (process.ExitCode != 0)
            {
                var last = File.ReadLines(log).LastOrDefault(l => l.Trim().Length > 0) ?? "(no output)";
                throw new EsteiraException(ErrorCode.PipelineFailed,
                    $"experiment {experiment.Name}: '{experiment.Command}' exited with code {process.ExitCode} (last output: {last.Trim()}); see {log}");
            }
        }

        observer.StageFinished("command", watch.Elapsed.TotalSeconds, $"{experiment.Command}");
        var validRows = ColumnTable.Rows(Path.Combine(features, "valid"));
        var testRows = ColumnTable.Rows(Path.Combine(features, "test"));
        var oof = Load(experiment, work, "oof.npy", validRows, "features/valid");
        var test = Load(experiment, work, "test.npy", testRows, "features/test");
        return GepiiiStages.WritePredictions(features, oof, test, [], output);
    }

    private static float[] Load(Experiment experiment, string folder, string name, int expectedRows, string table)
    {
        var path = Path.Combine(folder, name);
        var display = $"experiment {experiment.Name}: {name}";
        if (!File.Exists(path))
        {
            throw new EsteiraException(ErrorCode.PipelineFailed, $"{display}: missing; the command must write it to $ESTEIRA_OUTPUT (see docs/contract.md)");
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
