using System.ComponentModel;
using System.Text.Json;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Kaggle;
using Esteira.Deploy.Targets;
using Esteira.Leaderboard;
using Esteira.Pipeline;
using Esteira.Pipeline.Deployment;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Deploy;

/// <summary>Registers <c>esteira deploy</c>, <c>esteira submissions list</c> and <c>esteira leaderboard serve|show</c>.</summary>
public static class DeployCommands
{
    public static void Register(IConfigurator config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddCommand<DeployCommand>("deploy")
            .WithDescription("Guard (sample check, gate, daily budget, duplicates), submit, wait for the score.")
            .WithExample("deploy", "--file", "out/submission.csv.gz", "--target", "leaderboard", "--server", "http://127.0.0.1:8080", "--override-gate")
            .WithExample("deploy", "--file", "out/submission.csv.gz", "--target", "kaggle", "--competition", "ashrae-energy-prediction", "--message", "run 42");
        config.AddBranch("submissions", submissions =>
        {
            submissions.SetDescription("The submission ledger (default), or submissions as a target reports them (list).");
            submissions.SetDefaultCommand<LedgerCommand>();
            submissions.AddCommand<LedgerCommand>("ledger")
                .WithDescription("Every recorded submission with its local CV beside its public and private scores, and their correlation so far.");
            submissions.AddCommand<SubmissionsListCommand>("list")
                .WithDescription("My submissions to a target, newest first, with their scores.")
                .WithExample("submissions", "list", "--target", "leaderboard", "--server", "http://127.0.0.1:8080", "--json");
        });
        config.AddBranch("leaderboard", leaderboard =>
        {
            leaderboard.SetDescription("Our Kaggle-compatible leaderboard server.");
            leaderboard.AddCommand<LeaderboardServeCommand>("serve")
                .WithDescription("Serve a competition folder over the Kaggle RPC API (the stock kaggle CLI works against it).")
                .WithExample("leaderboard", "serve", "--competition", "data/bdg2-electricity-2016", "--team", "alice:s3cret", "--urls", "http://127.0.0.1:8080");
            leaderboard.AddCommand<LeaderboardShowCommand>("show")
                .WithDescription("The leaderboard of a competition (public, or private once revealed).")
                .WithExample("leaderboard", "show", "--target", "leaderboard", "--server", "http://127.0.0.1:8080");
        });
    }

    internal static TargetSpec TargetSpec(TargetSettings settings) => new()
    {
        Kind = settings.Target,
        Competition = settings.Competition,
        Server = settings.Server,
        Destination = settings.Dest,
    };

    internal static Task<ISubmissionTarget> OpenTargetAsync(TargetSettings settings, CancellationToken cancellationToken) =>
        SubmissionTargets.CreateAsync(TargetSpec(settings), KaggleCredentialLocator.ProcessEnvironment(), cancellationToken);

    internal static void Release(ISubmissionTarget target) => (target as IDisposable)?.Dispose();

    internal static void WriteJson<T>(IAnsiConsole console, T value) => console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, EsteiraJson.Indented));
}

/// <summary>Where submissions go: shared by deploy, submissions list and leaderboard show.</summary>
public class TargetSettings : CommandSettings
{
    [CommandOption("--target <KIND>")]
    [Description("kaggle, leaderboard (our server, needs --server) or folder (default).")]
    public string Target { get; init; } = DeployDefaults.Target;

    [CommandOption("--competition <NAME>")]
    [Description("Competition slug (default: KAGGLE_COMPETITION; for leaderboard, the server's only competition).")]
    public string? Competition { get; init; }

    [CommandOption("--server <URL>")]
    [Description("Our leaderboard server, e.g. http://127.0.0.1:8080 (default: ESTEIRA_LEADERBOARD_URL); for kaggle, overrides the endpoint.")]
    public string? Server { get; init; }

    [CommandOption("--dest <DIR>")]
    [Description("Folder of the folder target (default .esteira/submissions).")]
    public string? Dest { get; init; }

    [CommandOption("--json")]
    [Description("Print JSON instead of text.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        SubmissionTargets.Kinds.Contains(Target.ToLowerInvariant())
            ? ValidationResult.Success()
            : ValidationResult.Error($"--target '{Target}' is not one of {string.Join(", ", SubmissionTargets.Kinds)}");
}

public sealed class DeploySettings : TargetSettings
{
    [CommandOption("--file <PATH>")]
    [Description("The submission file (the sample submission's columns, e.g. row_id,meter_reading; .csv or .csv.gz).")]
    public string? File { get; init; }

    [CommandOption("--message <TEXT>")]
    [Description("Submission description (Kaggle's -m).")]
    public string Message { get; init; } = "";

    [CommandOption("--sample <PATH>")]
    [Description("sample_submission.csv[[.gz]] to check against (default: the one beside --file).")]
    public string? Sample { get; init; }

    [CommandOption("--metric <NAME>")]
    [Description("The competition metric, which decides what values the check accepts (rmsle: ≥ 0; logloss, accuracy: within [[0, 1]]; rmse, mae, auc: any finite number). Default: the workspace's competition metric, else rmsle.")]
    public string? Metric { get; init; }

    [CommandOption("--allow-duplicate")]
    [Description("Send even if these exact bytes were sent to this target before.")]
    public bool AllowDuplicate { get; init; }

    [CommandOption("--override-gate")]
    [Description("Send even if the gate did not pass (or has no verdict for this file).")]
    public bool OverrideGate { get; init; }

    [CommandOption("--tracking <URI>")]
    [Description("Tracking store whose submission ledger the duplicate and budget rules read and every deploy is recorded in (default: ESTEIRA_TRACKING_URI, esteira.yaml's, or .esteira/esteira.db).")]
    public string? Tracking { get; init; }

    [CommandOption("--experiment <NAME>")]
    [Description("In a workspace without --file: deploy this experiment's champion (default: the best champion).")]
    public string? Experiment { get; init; }
}

public sealed class DeployCommand(IAnsiConsole console) : AsyncCommand<DeploySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DeploySettings settings, CancellationToken cancellationToken)
    {
        // In a workspace, no --file means: the champion's submission, its gate verdict, the tracking ledger.
        await using var deployment = await SubmissionDeployment.OpenAsync(new DeploymentRequest
        {
            File = settings.File,
            Experiment = settings.Experiment,
            Target = DeployCommands.TargetSpec(settings),
            Message = settings.Message,
            Sample = settings.Sample,
            Metric = settings.Metric,
            Guard = new GuardOptions { AllowDuplicate = settings.AllowDuplicate, OverrideGate = settings.OverrideGate },
            Tracking = settings.Tracking,
        }, Workspace.Find(Environment.CurrentDirectory), m => Console.Error.WriteLine(m), TimeProvider.System, cancellationToken);
        var target = deployment.Target;
        if (deployment is { Champion: { } champion, AlreadySent: { } sent })
        {
            var score = sent.PublicScore is { } p ? $", public score {p.ToString("0.#####", System.Globalization.CultureInfo.InvariantCulture)}" : "";
            var what = sent.RunId == champion.Champion.Id ? "was already sent" : $"predicts the same bytes as run {sent.RunId}, already sent";
            var line = $"champion run {champion.Champion.Id} ({champion.Experiment}) {what} to {target.Kind}/{target.Competition} on {sent.SubmittedAt:yyyy-MM-dd HH:mm} UTC (ledger entry {sent.Id}{score}); nothing new to send";
            if (settings.Json)
            {
                DeployCommands.WriteJson(console, new { target = target.Kind, competition = target.Competition, status = "unchanged", ledger_entry = sent.Id, run = champion.Champion.Id });
            }
            else
            {
                console.MarkupLineInterpolated($"[green]{line}[/]");
            }

            return 0;
        }

        if (deployment.Champion is { } deploying && !settings.Json)
        {
            console.MarkupLineInterpolated($"deploying champion run {deploying.Champion.Id} ({deploying.Experiment}, CV RMSLE {deploying.Champion.Metric("cv_rmsle"):F4})");
        }

        var result = await deployment.SendAsync(new Progress<string>(line =>
        {
            if (!settings.Json)
            {
                console.MarkupLineInterpolated($"[grey]{line}[/]");
            }
        }), cancellationToken);
        var outcome = result.Outcome;
        if (settings.Json)
        {
            DeployCommands.WriteJson(console, new
            {
                target = target.Kind,
                competition = target.Competition,
                outcome.Reference,
                status = SubmissionStatusWire.ToWire(outcome.State),
                outcome.PublicScore,
                outcome.PrivateScore,
                outcome.ErrorDescription,
                outcome.Location,
                sha256 = result.Facts.Sha256,
                rows = result.Facts.Rows,
            });
        }
        else if (outcome.State == SubmissionStatus.Complete)
        {
            if (outcome.PublicScore is { } score)
            {
                var privatePart = outcome.PrivateScore is { } p ? $", private {p}" : "";
                console.MarkupLineInterpolated($"[green]submitted[/] {target.Kind}/{target.Competition} #{outcome.Reference}: public score [bold]{score}[/]{privatePart}");
            }
            else
            {
                console.MarkupLineInterpolated($"[green]submitted[/] {target.Kind}/{target.Competition}: {outcome.Location ?? outcome.Reference}");
            }
        }

        return outcome.State == SubmissionStatus.Error
            ? throw new EsteiraException(ErrorCode.ExternalService,
                $"{target.Kind} scored submission {outcome.Reference} as ERROR: {outcome.ErrorDescription ?? "no description"}; fix the file and deploy again")
            : 0;
    }
}

public sealed class SubmissionsListCommand(IAnsiConsole console) : AsyncCommand<TargetSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TargetSettings settings, CancellationToken cancellationToken)
    {
        var target = await DeployCommands.OpenTargetAsync(settings, cancellationToken);
        try
        {
            var list = await target.ListAsync(cancellationToken);
            if (settings.Json)
            {
                DeployCommands.WriteJson(console, list);
                return 0;
            }

            if (list.Count == 0)
            {
                console.MarkupLineInterpolated($"no submissions to {target.Kind}/{target.Competition}");
                return 0;
            }

            var table = new Table().AddColumns("ref", "date (UTC)", "file", "description", "status", "public", "private");
            foreach (var s in list)
            {
                table.AddRow(
                    Markup.Escape(s.Reference),
                    s.Date?.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    Markup.Escape(s.FileName ?? ""),
                    Markup.Escape(s.Description ?? ""),
                    s.State == SubmissionStatus.Error ? $"[red]ERROR[/] {Markup.Escape(s.ErrorDescription ?? "")}" : SubmissionStatusWire.ToWire(s.State),
                    s.PublicScore ?? "",
                    s.PrivateScore ?? "");
            }

            console.Write(table);
            return 0;
        }
        finally
        {
            DeployCommands.Release(target);
        }
    }
}

public sealed class LeaderboardShowSettings : TargetSettings
{
    [CommandOption("--public")]
    [Description("Show the public board even after the private scores are revealed.")]
    public bool Public { get; init; }

    public override ValidationResult Validate() =>
        Target.Equals("folder", StringComparison.OrdinalIgnoreCase) ? ValidationResult.Error("--target must be kaggle or leaderboard") : base.Validate();
}

public sealed class LeaderboardShowCommand(IAnsiConsole console) : AsyncCommand<LeaderboardShowSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, LeaderboardShowSettings settings, CancellationToken cancellationToken)
    {
        var target = (KaggleTarget)await DeployCommands.OpenTargetAsync(settings, cancellationToken);
        try
        {
            var rows = await target.Client.GetLeaderboardAsync(target.Competition, settings.Public, cancellationToken);
            if (settings.Json)
            {
                DeployCommands.WriteJson(console, rows);
                return 0;
            }

            var table = new Table().AddColumns("rank", "team", "date (UTC)", "score");
            var rank = 0;
            foreach (var row in rows)
            {
                table.AddRow((++rank).ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(row.TeamName ?? ""),
                    row.SubmissionDate?.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "", row.Score ?? "");
            }

            console.Write(table);
            return 0;
        }
        finally
        {
            target.Dispose();
        }
    }
}

public sealed class LeaderboardServeSettings : CommandSettings
{
    [CommandOption("--competition <DIR>")]
    [Description("Competition folder: GEPIII-layout CSVs (plain or .gz), solution.csv[[.gz]] (row_id,meter_reading,Usage), optional competition.yaml.")]
    public string? Competition { get; init; }

    [CommandOption("--team <NAME:KEY>")]
    [Description("A team and its key (repeatable); keys are stored hashed. Teams may also come from competition.yaml.")]
    public string[] Teams { get; init; } = [];

    [CommandOption("--urls <URL>")]
    [Description("Where to listen (default http://127.0.0.1:8080). The stock kaggle CLI needs http://localhost:80.")]
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    [CommandOption("--state <URI>")]
    [Description("sqlite:PATH (default: <competition>/.leaderboard/state.db) or postgresql://user:pass@host:port/db.")]
    public string? State { get; init; }

    [CommandOption("--storage <DIR>")]
    [Description("Folder for uploaded files, stored by content hash (default: uploads/ beside the SQLite file).")]
    public string? Storage { get; init; }

    [CommandOption("--public-url <URL>")]
    [Description("The URL clients use, when a proxy sits in front (upload and download links are built from it).")]
    public string? PublicUrl { get; init; }

    [CommandOption("--max-upload-mb <N>")]
    [Description("Upload size limit in MiB (default: the config's max_upload_mb, else 2048).")]
    public int? MaxUploadMb { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Competition) ? ValidationResult.Error("--competition DIR is required")
        : MaxUploadMb is <= 0 ? ValidationResult.Error("--max-upload-mb must be positive")
        : ValidationResult.Success();
}

public sealed class LeaderboardServeCommand(IAnsiConsole console) : AsyncCommand<LeaderboardServeSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, LeaderboardServeSettings settings, CancellationToken cancellationToken)
    {
        await using var server = await LeaderboardServer.StartAsync(new LeaderboardServerOptions
        {
            CompetitionDir = settings.Competition!,
            Teams = settings.Teams.Select(TeamKey.Parse).ToList(),
            Urls = settings.Urls,
            State = settings.State,
            Storage = settings.Storage,
            PublicUrl = settings.PublicUrl,
            MaxUploadBytes = settings.MaxUploadMb is { } mb ? (long)mb << 20 : null,
        }, cancellationToken);
        var competition = server.Competition;
        console.MarkupLineInterpolated(
            $"[green]serving[/] [bold]{competition.Name}[/] ({server.Solution.Count:N0} solution rows, {competition.Metric}, {(competition.DailyLimit == 0 ? "no daily limit" : $"{competition.DailyLimit} a day")}) at {string.Join(", ", server.Addresses)}");
        console.MarkupLineInterpolated($"teams: {string.Join(", ", server.Teams.Teams.Select(t => t.Name))}; state: {server.Store.Location}; Ctrl+C stops");
        if (server.Teams.Teams.Count == 0)
        {
            console.MarkupLine("[yellow]no teams yet: add one with --team NAME:KEY, or nobody can submit[/]");
        }

        await server.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
