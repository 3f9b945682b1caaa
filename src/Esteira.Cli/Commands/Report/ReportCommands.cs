using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Esteira.Cli.Commands.Sync;
using Esteira.Reporting.Post;
using Esteira.Reporting.Report;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Report;

/// <summary>Registers <c>esteira report</c>.</summary>
public static class ReportCommands
{
    public static void Register(IConfigurator config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddCommand<ReportCommand>("report")
            .WithDescription("Write what the current results say against the champion (metrics, gate verdict, folds, plots) as Markdown or HTML; --post sends it to the merge request or pull request.")
            .WithExample("report")
            .WithExample("report", "--against", "champion", "--format", "html", "--out", "out/report")
            .WithExample("report", "--post");
    }
}

public sealed class ReportSettings : CommandSettings
{
    [CommandOption("--experiment <NAME>")]
    [Description("Report on this experiment only (default: every experiment).")]
    public string? Experiment { get; init; }

    [CommandOption("--against <WHAT>")]
    [Description("Compare with 'champion' (default) or a run id.")]
    public string Against { get; init; } = TrackingLookup.Champion;

    [CommandOption("--model <NAME>")]
    [Description("The registered model whose champion to compare with (default: each experiment's own name).")]
    public string? Model { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("md (default) or html.")]
    public string Format { get; init; } = "md";

    [CommandOption("--out <DIR>")]
    [Description("Where the report and its PNGs go, relative to the workspace (default: out/report).")]
    public string Out { get; init; } = Path.Combine("out", "report");

    [CommandOption("--post")]
    [Description("Post the Markdown to the merge request (GITLAB_TOKEN or CI_JOB_TOKEN) or pull request (GITHUB_TOKEN); without them, say why and still write the report.")]
    public bool Post { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object instead of lines.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }

    internal ReportFormat? ParsedFormat => Format.ToLowerInvariant() switch
    {
        "md" or "markdown" => ReportFormat.Markdown,
        "html" => ReportFormat.Html,
        _ => null,
    };

    public override ValidationResult Validate() =>
        ParsedFormat is null ? ValidationResult.Error($"--format '{Format}' is not md or html") : ValidationResult.Success();
}

/// <summary><c>esteira report</c>.</summary>
public sealed class ReportCommand(IAnsiConsole console) : AsyncCommand<ReportSettings>
{
    private static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(30);

    public override async Task<int> ExecuteAsync(CommandContext context, ReportSettings settings, CancellationToken cancellationToken)
    {
        var workspace = await SyncCommands.LoadWorkspaceAsync(cancellationToken);
        var request = new ReportRequest
        {
            Experiment = settings.Experiment,
            Against = settings.Against,
            Model = settings.Model,
            Format = settings.ParsedFormat!.Value,
            OutDir = Path.Combine(workspace.Root, settings.Out),
        };
        var result = await Reports.WriteAsync(workspace, request, Environment.GetEnvironmentVariable, cancellationToken);

        string? posted = null;
        string? notPosted = null;
        if (settings.Post)
        {
            var plan = ReportPoster.Resolve(Environment.GetEnvironmentVariable);
            if (plan.Target is { } target)
            {
                using var http = new HttpClient { Timeout = PostTimeout };
                var body = ReportPoster.Adapt(result.Markdown, target, Environment.GetEnvironmentVariable, result.OutDir);
                var outcome = await ReportPoster.PostAsync(http, target, body, cancellationToken);
                posted = $"posted to {target.Where}{(outcome.Url is { } url ? ": " + url : "")}";
            }
            else
            {
                notPosted = plan.WhyNot;
            }
        }

        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new
            {
                report = result.ReportPath,
                figures = result.Figures,
                experiments = result.Experiments,
                notes = result.Notes,
                posted,
                not_posted = notPosted,
            }, EsteiraJson.Indented));
            return 0;
        }

        var relative = Path.GetRelativePath(Environment.CurrentDirectory, result.ReportPath);
        Say.Line(console, $"wrote [green]{relative}[/] and {result.Figures.Count} PNG(s)");
        foreach (var e in result.Experiments)
        {
            var against = e.BaselineCvRmsle is { } b
                ? string.Create(CultureInfo.InvariantCulture, $"; {e.Baseline} {b:0.00000}, Δ {e.CvRmsle - b:+0.00000;-0.00000;0.00000}")
                : "; no champion to compare with";
            var gate = e.GatePassed switch { true => "; gate passed", false => "; gate FAILED", null => "" };
            Say.Line(console, $"  {e.Experiment}: {e.Metric} {e.CvRmsle.ToString("0.00000", CultureInfo.InvariantCulture)}{against}{gate}");
        }

        foreach (var note in result.Notes)
        {
            Say.Line(console, $"[yellow]note:[/] {note}");
        }

        if (posted is not null)
        {
            Say.Line(console, $"[green]{posted}[/]");
        }
        else if (notPosted is not null)
        {
            Say.Line(console, $"[yellow]not posted:[/] {notPosted}; the report is in {relative}");
        }

        return 0;
    }
}
