using System.ComponentModel;
using Esteira.Config;
using Esteira.Pipeline;
using Esteira.Reporting.Ui;
using Esteira.Tracking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Ui;

/// <summary>Registers <c>esteira ui</c>: the tracking store in a browser.</summary>
public static class UiCommands
{
    public const string TokenVariable = "ESTEIRA_UI_TOKEN";

    public static void Register(IConfigurator config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddCommand<UiCommand>("ui")
            .WithDescription("Browse the tracked runs, the gate's verdicts and the submission ledger in a web page (read only).")
            .WithExample("ui")
            .WithExample("ui", "--urls", "http://127.0.0.1:5050", "--tracking", "postgresql://ci@db:5432/esteira");
    }
}

public sealed class UiSettings : CommandSettings
{
    [CommandOption("--urls <URL>")]
    [Description("Where to listen (default http://127.0.0.1:5000). An address other than loopback needs --token.")]
    public string Urls { get; init; } = UiOptions.DefaultUrls;

    [CommandOption("--tracking <URI>")]
    [Description("Tracking store (default: ESTEIRA_TRACKING_URI, else the workspace's tracking:, else .esteira/esteira.db in the workspace).")]
    public string? Tracking { get; init; }

    [CommandOption("--token <SECRET>")]
    [Description("Every request must carry it: open the address with ?token=SECRET once (a cookie keeps it). Default: ESTEIRA_UI_TOKEN.")]
    public string? Token { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }
}

public sealed class UiCommand(IAnsiConsole console) : AsyncCommand<UiSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, UiSettings settings, CancellationToken cancellationToken)
    {
        var token = WorkspaceConfig.Resolve(settings.Token, Environment.GetEnvironmentVariable(UiCommands.TokenVariable), null);
        UiServer.CheckUrls(settings.Urls, token);
        var root = WorkspaceConfig.Find(Directory.GetCurrentDirectory());
        var config = root is null ? null : WorkspaceConfig.Load(root);
        var uri = WorkspaceConfig.TrackingUri(config, settings.Tracking);
        if (config is null && uri is null)
        {
            throw new EsteiraException(ErrorCode.Usage,
                $"{Directory.GetCurrentDirectory()} is not in a workspace (no {WorkspaceConfig.FileName} here or above); run esteira ui in one, or give --tracking URI");
        }

        await using var store = await TrackingStores.OpenAsync(uri, root ?? Directory.GetCurrentDirectory(), null, cancellationToken);
        await using var server = await UiServer.StartAsync(new UiOptions
        {
            Store = store,
            WorkspaceRoot = root ?? Directory.GetCurrentDirectory(),
            Urls = settings.Urls,
            Token = token,
            ChampionModel = config is null ? null : config.Competition.Name ?? Workspace.DefaultModel,
            Metric = "cv_" + (config?.Competition.Metric ?? EvalMetric.Rmsle.Name),
        }, cancellationToken);
        console.MarkupLineInterpolated($"[green]esteira ui[/] for {Secrets.MaskPasswords(store.Location)} at {string.Join(", ", server.Addresses)}{(token is null ? "" : " (open it once with ?token=…)")}; Ctrl+C stops");
        await server.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

}
