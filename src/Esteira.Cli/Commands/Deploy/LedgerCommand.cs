using System.ComponentModel;
using System.Globalization;
using Esteira.Pipeline.Deployment;
using Esteira.Tracking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Deploy;

public sealed class LedgerSettings : CommandSettings
{
    [CommandOption("--target <TARGET>")]
    [Description("Only submissions to this target (e.g. leaderboard/bdg2, kaggle/ashrae-energy-prediction).")]
    public string? Target { get; init; }

    [CommandOption("--tracking <URI>")]
    [Description("Tracking store (default: ESTEIRA_TRACKING_URI, esteira.yaml's, or .esteira/esteira.db).")]
    public string? Tracking { get; init; }

    [CommandOption("--json")]
    [Description("Print JSON.")]
    public bool Json { get; init; }
}

/// <summary>
/// <c>esteira submissions</c>: the ledger — each submission's local CV beside its public score, and how well the
/// two agree so far. Public-leaderboard overfitting shows here first: CV improves, public does not.
/// </summary>
public sealed class LedgerCommand(IAnsiConsole console) : AsyncCommand<LedgerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, LedgerSettings settings, CancellationToken cancellationToken)
    {
        // The same store and folder as every tracking command; opening it imports an old deploy log, as deploy does.
        await using var ledger = await LedgerHistory.OpenInAsync(Directory.GetCurrentDirectory(), settings.Tracking, m => Console.Error.WriteLine(m), cancellationToken);
        var rows = await ledger.Store.ListSubmissionsAsync(new SubmissionQuery { Target = settings.Target, Limit = 10_000 }, cancellationToken);
        var paired = rows.Where(r => r.CvScore is not null && r.PublicScore is not null).Select(r => (r.CvScore!.Value, r.PublicScore!.Value)).ToList();
        var correlation = Pearson(paired);
        if (settings.Json)
        {
            DeployCommands.WriteJson(console, new { submissions = rows, cv_public_correlation = correlation, pairs = paired.Count });
            return 0;
        }

        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).Title("submission ledger")
            .AddColumns("id", "run", "target", "status", "CV", "public", "private", "submitted (UTC)");
        foreach (var r in rows)
        {
            table.AddRow(r.Id.ToString(CultureInfo.InvariantCulture), r.RunId?.ToString(CultureInfo.InvariantCulture) ?? "", Markup.Escape(r.Target), r.Status.ToString().ToLowerInvariant(),
                Score(r.CvScore), Score(r.PublicScore), Score(r.PrivateScore), r.SubmittedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        }

        console.Write(table);
        console.MarkupLine(correlation is { } c
            ? $"CV vs public: Pearson r = {c:F3} over {paired.Count} scored submissions{(c < 0.5 ? " [yellow](weak: the public board may be rewarding noise)[/]" : "")}"
            : $"CV vs public: needs at least 3 scored submissions (have {paired.Count})");
        return 0;
    }

    /// <summary>Pearson correlation; null with fewer than three pairs or no spread.</summary>
    internal static double? Pearson(IReadOnlyList<(double X, double Y)> pairs)
    {
        if (pairs.Count < 3)
        {
            return null;
        }

        var mx = pairs.Average(p => p.X);
        var my = pairs.Average(p => p.Y);
        var sxy = pairs.Sum(p => (p.X - mx) * (p.Y - my));
        var sxx = pairs.Sum(p => (p.X - mx) * (p.X - mx));
        var syy = pairs.Sum(p => (p.Y - my) * (p.Y - my));
        return sxx == 0 || syy == 0 ? null : sxy / Math.Sqrt(sxx * syy);
    }

    private static string Score(double? value) => value?.ToString("F5", CultureInfo.InvariantCulture) ?? "";
}
