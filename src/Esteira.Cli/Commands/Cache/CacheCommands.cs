using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Cache;

/// <summary>Registers <c>esteira cache list</c> and <c>esteira cache prune</c>: the local stage cache's disk use.</summary>
public static class CacheCommands
{
    public static void Register(IConfigurator config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddBranch("cache", cache =>
        {
            cache.SetDescription("The local stage cache (.esteira/cache): what it holds and what it may drop.");
            cache.AddCommand<CacheListCommand>("list").WithDescription("List the cached stage outputs: stage, last run that used it, size.");
            cache.AddCommand<CachePruneCommand>("prune")
                .WithDescription("Delete the stage outputs that none of the last N runs wrote or reused (pushed copies in the remote store stay).")
                .WithExample("cache", "prune", "--keep-runs", "1")
                .WithExample("cache", "prune", "--dry-run");
        });
    }

    /// <summary>The cache of the workspace around the current folder, or of the current folder outside a workspace (where 'esteira run' keeps it).</summary>
    internal static string StateFolder()
    {
        var root = Workspace.Find(Environment.CurrentDirectory);
        return root is null ? Path.Combine(Environment.CurrentDirectory, ".esteira") : Workspace.Load(root).StateFolder;
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
    };

    internal static object Json(CacheEntry e) => new { key = e.Key, stage = e.Stage, last_run = e.LastRun, bytes = e.Bytes, created = e.Created };

    internal static void Render(IAnsiConsole console, IEnumerable<CacheEntry> entries, string title)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title)).AddColumns("stage", "key", "last run", "size");
        foreach (var e in entries)
        {
            table.AddRow(Markup.Escape(e.Stage), e.Key[..Math.Min(12, e.Key.Length)], e.LastRun.ToString(CultureInfo.InvariantCulture), Size(e.Bytes));
        }

        console.Write(table);
    }
}

public sealed class CacheListSettings : CommandSettings
{
    [CommandOption("--json")]
    [Description("Print one JSON object instead of a table.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }
}

public sealed class CacheListCommand(IAnsiConsole console) : Command<CacheListSettings>
{
    public override int Execute(CommandContext context, CacheListSettings settings, CancellationToken cancellationToken)
    {
        var folder = CacheCommands.StateFolder();
        var entries = Directory.Exists(Path.Combine(folder, "cache")) ? new StageCache(folder).Entries() : [];
        var total = entries.Sum(e => e.Bytes);
        if (settings.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { cache = Path.Combine(folder, "cache"), bytes = total, entries = entries.Select(CacheCommands.Json) }, EsteiraJson.Options));
            return 0;
        }

        CacheCommands.Render(console, entries, $"{Path.Combine(folder, "cache")}: {entries.Count} entries, {CacheCommands.Size(total)}");
        return 0;
    }
}

public sealed class CachePruneSettings : CommandSettings
{
    [CommandOption("--keep-runs <N>")]
    [Description("Keep what the last N runs wrote or reused (default 1: what the latest run needs).")]
    public int KeepRuns { get; init; } = 1;

    [CommandOption("--dry-run")]
    [Description("Show what would be deleted; delete nothing.")]
    public bool DryRun { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object instead of a table.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        KeepRuns < 1 ? ValidationResult.Error("--keep-runs must be at least 1") : ValidationResult.Success();
}

public sealed class CachePruneCommand(IAnsiConsole console) : Command<CachePruneSettings>
{
    public override int Execute(CommandContext context, CachePruneSettings settings, CancellationToken cancellationToken)
    {
        var folder = CacheCommands.StateFolder();
        IReadOnlyList<CacheEntry> removed = [];
        if (Directory.Exists(Path.Combine(folder, "cache")))
        {
            // the lock keeps a running pipeline's entries from disappearing under it
            using var workspaceLock = WorkspaceLock.Acquire(folder);
            removed = new StageCache(folder).Prune(settings.KeepRuns, settings.DryRun);
        }

        var freed = removed.Sum(e => e.Bytes);
        if (settings.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { dry_run = settings.DryRun, keep_runs = settings.KeepRuns, bytes = freed, removed = removed.Select(CacheCommands.Json) }, EsteiraJson.Options));
            return 0;
        }

        if (removed.Count > 0)
        {
            CacheCommands.Render(console, removed, settings.DryRun ? "would delete" : "deleted");
        }

        console.MarkupLine(Markup.Escape($"{(settings.DryRun ? "would free" : "freed")} {CacheCommands.Size(freed)} in {removed.Count} entries; kept what the last {settings.KeepRuns} run(s) used"));
        return 0;
    }
}
