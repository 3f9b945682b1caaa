using System.Diagnostics;
using Esteira.Data.Submissions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Esteira.Deploy.Leaderboard;

/// <summary>What <c>esteira leaderboard serve</c> was given.</summary>
public sealed record LeaderboardServerOptions
{
    /// <summary>The competition folder (GEPIII layout + solution.csv[.gz] + optional competition.yaml).</summary>
    public required string CompetitionDir { get; init; }

    /// <summary>Teams added on the command line (<c>--team NAME:KEY</c>), on top of the config's.</summary>
    public IReadOnlyList<TeamKey> Teams { get; init; } = [];

    /// <summary>Where to listen; port 0 picks a free port (see <see cref="LeaderboardServer.Addresses"/>).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary><c>sqlite:PATH</c> or <c>postgresql://…</c>; default <c>sqlite:&lt;competition&gt;/.leaderboard/state.db</c>.</summary>
    public string? State { get; init; }

    /// <summary>Folder for uploaded files; default <c>uploads/</c> beside the SQLite file, or <c>&lt;competition&gt;/.leaderboard/uploads</c>.</summary>
    public string? Storage { get; init; }

    /// <summary>The URL clients reach the server at, when it differs from the Host header (a reverse proxy).</summary>
    public string? PublicUrl { get; init; }

    /// <summary>Overrides the config's <c>max_upload_mb</c>.</summary>
    public long? MaxUploadBytes { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Resolves <c>key_env</c> in the config; default: the process environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>False leaves every submission PENDING (tests of the restart path).</summary>
    public bool ScoringEnabled { get; init; } = true;

    /// <summary>Logging setup; default: warnings and our own information lines on the console.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}

/// <summary>A running leaderboard server (Kestrel). Dispose it to stop; queued submissions stay PENDING for the next start.</summary>
public sealed class LeaderboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LeaderboardServer(WebApplication app, LeaderboardService service, IReadOnlyList<Uri> addresses, TimeSpan solutionLoadTime)
    {
        _app = app;
        Service = service;
        Addresses = addresses;
        SolutionLoadTime = solutionLoadTime;
    }

    public LeaderboardService Service { get; }

    /// <summary>The bound addresses, with real ports.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    public TimeSpan SolutionLoadTime { get; }

    public string CompetitionName => Service.Competition.Name;

    public static async Task<LeaderboardServer> StartAsync(LeaderboardServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var competition = CompetitionDefinition.Load(options.CompetitionDir, options.Environment ?? Kaggle.KaggleCredentialLocator.ProcessEnvironment());
        if (options.MaxUploadBytes is { } max)
        {
            competition = competition.WithMaxUploadBytes(max);
        }

        var teams = options.Teams;
        var stateDir = Path.Combine(competition.Directory, ".leaderboard");
        var state = options.State ?? $"sqlite:{Path.Combine(stateDir, "state.db")}";
        var storage = options.Storage
            ?? (state.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase)
                ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(state["sqlite:".Length..]))!, "uploads")
                : Path.Combine(stateDir, "uploads"));

        var stopwatch = Stopwatch.StartNew();
        var solution = ReferenceRows.LoadSolution(competition.SolutionPath, competition.Metric);
        var loadTime = stopwatch.Elapsed;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = competition.Directory, Args = [] });
        builder.Logging.ClearProviders();
        if (options.ConfigureLogging is { } configure)
        {
            configure(builder.Logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        }

        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = competition.MaxUploadBytes + (1 << 20);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Esteira.Leaderboard");
        var store = StateLocation.Open(state, options.Time);
        LeaderboardService service;
        try
        {
            service = await LeaderboardService.CreateAsync(competition, solution, store, new BlobStore(storage), teams, options.Time, logger, cancellationToken);
        }
        catch
        {
            await store.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }

        LeaderboardApi.Map(app, service, options.PublicUrl);
        LeaderboardPages.Map(app, service, options.Time, options.PublicUrl);

        // SIGTERM or Ctrl+C: scoring stops at once (what was being scored stays PENDING), while Kestrel finishes open requests.
        app.Lifetime.ApplicationStopping.Register(service.BeginStop);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await service.DisposeAsync();
            await store.DisposeAsync();
            await app.DisposeAsync();
            throw new EsteiraException(ErrorCode.Usage, $"cannot listen on {options.Urls} ({e.Message}); pick another port with --urls");
        }

        if (options.ScoringEnabled)
        {
            await service.StartScoringAsync(cancellationToken);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("competition {Name}: {Rows} solution rows ({Public} public, {Private} private) loaded in {Seconds:0.0} s; state {State}; uploads in {Storage}",
            competition.Name, solution.Count, solution.PublicCount, solution.PrivateCount, loadTime.TotalSeconds, store.Location, storage);
        }

        var addresses = app.Urls.Select(u => new Uri(u.Replace("//[::]", "//localhost", StringComparison.Ordinal).Replace("//0.0.0.0", "//localhost", StringComparison.Ordinal))).ToList();
        return new LeaderboardServer(app, service, addresses, loadTime);
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await Service.DisposeAsync();
        await Service.Store.DisposeAsync();
        await _app.DisposeAsync();
    }
}
