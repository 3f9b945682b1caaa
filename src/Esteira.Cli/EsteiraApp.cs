using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

/// <summary>Builds the command tree and turns every failure into one line and an exit code.</summary>
public static class EsteiraApp
{
    /// <summary>The synchronous form of <see cref="RunAsync"/>, for callers without an async context (tests).</summary>
    /// <remarks>Blocking is safe here: a console process and xUnit have no synchronization context to deadlock on.</remarks>
    public static int Run(string[] args, IAnsiConsole? console = null) => RunAsync(args, console).GetAwaiter().GetResult();

    /// <summary>Runs the command <paramref name="args"/> name; returns the process's exit code.</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole? console = null)
    {
        console ??= AnsiConsole.Console;
        var verbose = args.Contains("--verbose");
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("esteira");
            config.SetApplicationVersion(EsteiraVersion.Current);
            config.PropagateExceptions();
            config.Settings.StrictParsing = true;
            config.Settings.Console = console;
            config.AddCommand<RunCommand>("run")
                .WithDescription("Run the pipeline on a GEPIII dataset and write a checked submission (default: the bundled real sample).")
                .WithExample("run")
                .WithExample("run", "--data", "ashrae-energy-prediction.zip", "--out", "out", "--json");
            config.AddCommand<InitCommand>("init").WithDescription("Scaffold a workspace: esteira.yaml and experiments/baseline.").WithExample("init", "my-workspace");
            config.AddCommand<PlanCommand>("plan").WithDescription("Show which stages would run and why, running nothing.");
            config.AddCommand<BlendCommand>("blend").WithDescription("Blend tracked runs with non-negative weights fitted on out-of-fold RMSLE; registered as a run.").WithExample("blend", "3", "4");
            config.AddCommand<GateCommand>("gate").WithDescription("The gate's verdict on each experiment's latest run; exit 1 when none passed.");

            // Each feature area registers its commands in its own Register method (one line each here).
            // commands: begin
            Commands.Ci.CiCommands.Register(config);
            Commands.Tracking.TrackingCommands.Register(config);
            Commands.Deploy.DeployCommands.Register(config);
            Commands.Sync.SyncCommands.Register(config);
            Commands.Report.ReportCommands.Register(config);
            Commands.Cache.CacheCommands.Register(config);
            Commands.Ui.UiCommands.Register(config);
            // commands: end
        });

        try
        {
            return await app.RunAsync(args);
        }
        catch (EsteiraException e)
        {
            WriteError(e.Message, verbose ? e : null);
            return ErrorCodes.ExitCode(e.Code);
        }
        catch (CommandParseException e)
        {
            WriteError($"{e.Message}; run 'esteira --help'", verbose ? e : null);
            return ErrorCodes.ExitCode(ErrorCode.Usage);
        }
        catch (CommandRuntimeException e)
        {
            WriteError($"{e.Message}; run 'esteira --help'", verbose ? e : null);
            return ErrorCodes.ExitCode(ErrorCode.Usage);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            WriteError($"unexpected failure ({e.GetType().Name}: {e.Message}); rerun with --verbose and report it", verbose ? e : null);
            return ErrorCodes.ExitCode(ErrorCode.PipelineFailed);
        }
    }

    private static void WriteError(string message, Exception? detail)
    {
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        if (detail is not null)
        {
            Console.Error.WriteLine(detail.ToString());
        }
    }
}
