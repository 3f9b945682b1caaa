using System.ComponentModel;
using System.Text.Json;
using Esteira.Ml;
using Esteira.Pipeline;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

public sealed class RunSettings : CommandSettings
{
    [CommandOption("--data <PATH>")]
    [Description("Folder in the GEPIII layout (plain or .gz files) or one .zip; default: the bundled real sample.")]
    public string? Data { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Where submission.csv.gz and quality.json go (default: out).")]
    public string Out { get; init; } = "out";

    [CommandOption("--folds <N>")]
    [Description("Time-block cross-validation folds (default 3).")]
    public int Folds { get; init; } = 3;

    [CommandOption("--iterations <N>")]
    [Description("LightGBM boosting rounds (default 400).")]
    public int Iterations { get; init; } = 400;

    [CommandOption("--leaves <N>")]
    [Description("LightGBM leaves per tree (default 63).")]
    public int Leaves { get; init; } = 63;

    [CommandOption("--learning-rate <RATE>")]
    [Description("LightGBM learning rate (default 0.05).")]
    public double LearningRate { get; init; } = 0.05;

    [CommandOption("--seed <N>")]
    [Description("Random seed (default 42).")]
    public int Seed { get; init; } = 42;

    [CommandOption("--keep-flagged")]
    [Description("Train on rows the quality screen flagged (≥ 24 h identical or zero readings, dormant starts); by default they are dropped.")]
    public bool KeepFlagged { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object instead of tables.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        Folds < 1 ? ValidationResult.Error("--folds must be at least 1")
        : Iterations < 1 ? ValidationResult.Error("--iterations must be at least 1")
        : Leaves < 2 ? ValidationResult.Error("--leaves must be at least 2")
        : LearningRate is <= 0 or > 1 ? ValidationResult.Error("--learning-rate must be in (0, 1]")
        : ValidationResult.Success();
}

public sealed class RunCommand(IAnsiConsole console) : Command<RunSettings>
{
    public override int Execute(CommandContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        var options = new RunOptions
        {
            DataPath = settings.Data ?? SampleData.Locate(),
            OutDir = settings.Out,
            Folds = settings.Folds,
            KeepFlagged = settings.KeepFlagged,
            Gbm = new GbmOptions { Iterations = settings.Iterations, Leaves = settings.Leaves, LearningRate = settings.LearningRate, Seed = settings.Seed },
        };

        if (settings.Json)
        {
            var result = GepiiiRun.Execute(options);
            Console.Out.WriteLine(JsonSerializer.Serialize(RunJson.From(result), RunJson.Options));
            return 0;
        }

        console.MarkupLineInterpolated($"[bold]esteira run[/] on [blue]{options.DataPath}[/]");
        var observer = new ProgressObserver(console);
        var run = observer.Run(() => GepiiiRun.Execute(options, observer));
        RunReport.Render(console, run, observer.Warnings);
        return 0;
    }
}
