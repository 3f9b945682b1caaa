using System.Diagnostics;

namespace Esteira.Pipeline;

/// <summary>
/// Runs a command experiment under the contract of docs/contract.md: Esteira prepares the inputs, the program
/// writes <c>oof.npy</c> and <c>test.npy</c>, and Esteira checks them and computes every metric itself.
/// </summary>
public static class CommandExperiment
{
    /// <summary>Runs the experiment's shell command in its folder with the prepared inputs and a timeout, then checks and scores its predictions into <paramref name="output"/>.</summary>
    public static ModelMetrics Run(Experiment experiment, string features, string dataPath, string output, IRunObserver observer)
    {
        var work = Path.Combine(output, "command-output");
        Directory.CreateDirectory(work);
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = experiment.Folder };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(experiment.Command!);
        var display = $"'{experiment.Command}'";
        var program = new ContractProgramSpec(start, display, work, Path.Combine(output, "command.log"), TimeSpan.FromSeconds(experiment.TimeoutSeconds),
            (code, log) => $"{display} exited with code {code} (last output: {ContractProgram.LastLine(log)}); see {log}");
        return ContractProgram.Run(experiment, features, dataPath, output, observer, program);
    }
}
