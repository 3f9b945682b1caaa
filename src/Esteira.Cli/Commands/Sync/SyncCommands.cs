using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;
using Esteira.Pipeline.Runs;
using Esteira.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Sync;

/// <summary>Registers <c>esteira push</c> and <c>esteira pull</c>: the remote cache.</summary>
public static class SyncCommands
{
    public static void Register(IConfigurator config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddCommand<PushCommand>("push")
            .WithDescription("Upload the stage outputs in .esteira/cache that the artifact store does not hold yet, so other machines and CI runners reuse them.")
            .WithExample("push")
            .WithExample("push", "--store", "s3://team-bucket/esteira", "--json");
        config.AddCommand<PullCommand>("pull")
            .WithDescription("Download the stage outputs of the current plan, and of the blends made here or named by the tracking store, that another machine pushed; esteira run and blend reuse them.")
            .WithExample("pull")
            .WithExample("pull", "--experiment", "baseline");
    }

    internal static Task<Workspace> LoadWorkspaceAsync(CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace (no esteira.yaml here or above); run 'esteira init DIR' first");
        // Every command reads the same data: a kaggle:// or s3:// dataset is downloaded once into .esteira/datasets.
        return RemoteDatasets.ResolveAsync(Workspace.Load(root), m => Console.Error.WriteLine(m), cancellationToken);
    }

    internal static void Render(IAnsiConsole console, SyncResult result, bool json, bool push)
    {
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new
            {
                store = result.Store,
                seconds = Math.Round(result.Seconds, 3),
                entries = result.Entries.Select(e => new { stage = e.Stage, key = e.Key, action = e.Action, files = e.Files, bytes = e.Bytes, run = e.Run, problem = e.Problem, note = e.Note }),
                warnings = result.Warnings,
            }, EsteiraJson.Indented));
            return;
        }

        foreach (var warning in result.Warnings)
        {
            Say.Line(console, $"[yellow]warning:[/] {warning}");
        }

        var moved = push ? SyncAction.Pushed : SyncAction.Pulled;
        var verb = push ? "pushed" : "pulled";
        var there = push ? "already in the store" : "already local";
        Say.Line(console,
            $"[bold]{result.Count(moved)}[/] {verb} ({Size(result.BytesMoved)}), {result.Count(SyncAction.AlreadyThere)} {there}{(push ? "" : $", {result.Count(SyncAction.NotInStore)} not in the store")}{(result.Count(push ? SyncAction.Repaired : SyncAction.Damaged) is > 0 and var bad ? $", {bad} {(push ? "repaired" : "damaged in the store")}" : "")} — {result.Store}, {result.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    internal static void Line(IAnsiConsole console, SyncEntry entry, string store, bool push)
    {
        var key = entry.Key[..12] + "…";
        var run = entry.Run is { } r ? $", from run {r}" : "";
        run += entry.Note is { } note ? $"; {note}" : "";
        // a blend is made by esteira blend, every other stage by esteira run
        var maker = entry.Stage.StartsWith(BlendStage.Kind + ":", StringComparison.Ordinal) ? "esteira blend" : "esteira run";
        switch (entry.Action)
        {
            case SyncAction.Pushed:
                Say.Line(console, $"[green]pushed[/] {entry.Stage} (key {key}, {entry.Files} files, {Size(entry.Bytes)}) to {store}");
                break;
            case SyncAction.Pulled:
                Say.Line(console, $"[green]pulled[/] {entry.Stage} (key {key}, {entry.Files} files, {Size(entry.Bytes)}{run}) from {store}");
                break;
            case SyncAction.AlreadyThere:
                Say.Line(console, $"[grey]{(push ? "already in the store" : "already local")}:[/] {entry.Stage} (key {key}{run})");
                break;
            case SyncAction.NotInStore:
                Say.Line(console, $"[yellow]not in the store:[/] {entry.Stage} (key {key}{run}); {maker} will compute it");
                break;
            case SyncAction.Repaired:
                Say.Line(console, $"[yellow]repaired[/] {entry.Stage} (key {key}, {entry.Files} files, {Size(entry.Bytes)}) in {store}: {entry.Problem}");
                break;
            case SyncAction.Damaged:
                Say.Line(console, $"[red]damaged in the store:[/] {entry.Stage} (key {key}): {entry.Problem}; not pulled, {maker} will compute it ('esteira push' from a machine that has it repairs the store)");
                break;
        }
    }

    internal static string Size(long bytes) => bytes switch
    {
        < 1000 => $"{bytes} B",
        < 1_000_000 => (bytes / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " kB",
        < 1_000_000_000 => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
    };
}

/// <summary>Options of push and pull.</summary>
public class SyncSettings : CommandSettings
{
    [CommandOption("--store <URI>")]
    [Description("The artifact store: s3://BUCKET/PREFIX[[?endpoint=URL]] or a folder (default: ESTEIRA_ARTIFACTS_URI, else esteira.yaml's artifacts:).")]
    public string? Store { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object instead of lines.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }
}

public sealed class PullSettings : SyncSettings
{
    [CommandOption("--experiment <NAME>")]
    [Description("Pull only what this experiment's plan needs (default: every experiment).")]
    public string? Experiment { get; init; }
}

/// <summary><c>esteira push</c>.</summary>
public sealed class PushCommand(IAnsiConsole console) : AsyncCommand<SyncSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SyncSettings settings, CancellationToken cancellationToken)
    {
        var workspace = await SyncCommands.LoadWorkspaceAsync(cancellationToken);
        var store = Stores.OpenArtifacts(workspace, Environment.GetEnvironmentVariable, settings.Store);
        try
        {
            var progress = settings.Json ? null : new Progress(e => SyncCommands.Line(console, e, store.Location, push: true));
            var result = await CacheSync.PushAsync(workspace.StateFolder, store, progress, cancellationToken);
            SyncCommands.Render(console, result, settings.Json, push: true);
            return 0;
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }
}

/// <summary><c>esteira pull</c>.</summary>
public sealed class PullCommand(IAnsiConsole console) : AsyncCommand<PullSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PullSettings settings, CancellationToken cancellationToken)
    {
        var workspace = await SyncCommands.LoadWorkspaceAsync(cancellationToken);
        var store = Stores.OpenArtifacts(workspace, Environment.GetEnvironmentVariable, settings.Store);
        try
        {
            var progress = settings.Json ? null : new Progress(e => SyncCommands.Line(console, e, store.Location, push: false));
            var result = await PullAndTrack.PullAsync(workspace, settings.Experiment, store, progress, cancellationToken);
            SyncCommands.Render(console, result, settings.Json, push: false);
            return 0;
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }
}

/// <summary>Reports synchronously, in order (System.Progress would post to the thread pool and reorder lines).</summary>
internal sealed class Progress(Action<SyncEntry> report) : IProgress<SyncEntry>
{
    public void Report(SyncEntry value) => report(value);
}

/// <summary>
/// One line of news. On a terminal it is coloured markup; redirected (CI logs, pipes) it is the plain text on one line,
/// because Spectre wraps at 80 columns when it cannot see a terminal, which would split keys, paths and URLs.
/// </summary>
internal static class Say
{
    public static void Line(IAnsiConsole console, FormattableString markup)
    {
        // Only the arguments are escaped: the format holds the markup.
        var text = string.Format(CultureInfo.InvariantCulture, markup.Format, markup.GetArguments().Select(a => a is string s ? Markup.Escape(s) : a).ToArray());
        if (console.Profile.Out.IsTerminal)
        {
            console.MarkupLine(text);
        }
        else
        {
            console.Profile.Out.Writer.WriteLine(Markup.Remove(text));
        }
    }
}
