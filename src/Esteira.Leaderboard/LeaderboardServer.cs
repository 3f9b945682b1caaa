using System.Diagnostics;
using Esteira.Data.Submissions;
using Esteira.Deploy.Kaggle;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Esteira.Leaderboard;

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

    /// <summary>The clock for deadlines, daily limits and expiry; tests substitute a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Resolves <c>key_env</c> in the config; default: the process environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>False leaves every submission PENDING (tests of the restart path).</summary>
    public bool ScoringEnabled { get; init; } = true;

    /// <summary>Logging setup; default: warnings and our own information lines on the console.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}

/// <summary>
/// A running leaderboard server (Kestrel): the Kaggle API (<see cref="KaggleApiEndpoints"/>) for teams that
/// <see cref="TeamAuthenticationHandler"/> lets in, the upload and download URLs (<see cref="FileEndpoints"/>), the pages
/// (<see cref="LeaderboardPages"/>), and scoring in the background (<see cref="ScoringService"/>, <see cref="UploadSweeper"/>).
/// Dispose it to stop; queued submissions stay PENDING for the next start.
/// </summary>
public sealed class LeaderboardServer : IAsyncDisposable
{
    /// <summary>The log category of the server's own lines.</summary>
    public const string LogCategory = "Esteira.Leaderboard";

    private readonly WebApplication _app;

    private LeaderboardServer(WebApplication app, IReadOnlyList<Uri> addresses, TimeSpan solutionLoadTime)
    {
        _app = app;
        Addresses = addresses;
        SolutionLoadTime = solutionLoadTime;
    }

    /// <summary>The bound addresses, with real ports.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    /// <summary>How long reading the solution took at start.</summary>
    public TimeSpan SolutionLoadTime { get; }

    /// <summary>The competition served, with the command line's overrides applied.</summary>
    public CompetitionDefinition Competition => _app.Services.GetRequiredService<CompetitionDefinition>();

    /// <summary>The competition's name, as clients address it.</summary>
    public string CompetitionName => Competition.Name;

    /// <summary>The solution the submissions are scored against.</summary>
    public ReferenceRows Solution => _app.Services.GetRequiredService<ReferenceRows>();

    /// <summary>The teams, and who a caller is.</summary>
    public TeamAuthenticator Teams => _app.Services.GetRequiredService<TeamAuthenticator>();

    /// <summary>The state store (teams, uploads, submissions); closed when the server is disposed.</summary>
    public ILeaderboardStore Store => _app.Services.GetRequiredService<ILeaderboardStore>();

    /// <summary>The scoring in the background; started with the server unless <see cref="LeaderboardServerOptions.ScoringEnabled"/> is false.</summary>
    public ScoringService Scoring => _app.Services.GetRequiredService<ScoringService>();

    /// <summary>The deletion of expired uploads; started with <see cref="Scoring"/>.</summary>
    public UploadSweeper UploadSweeper => _app.Services.GetRequiredService<UploadSweeper>();

    /// <summary>Loads the competition and its solution, opens the state store, registers the teams and starts listening and scoring.</summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.Usage"/>: the address is taken, or the state URI is not understood.</exception>
    public static async Task<LeaderboardServer> StartAsync(LeaderboardServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var competition = CompetitionDefinition.Load(options.CompetitionDir, options.Environment ?? KaggleCredentialLocator.ProcessEnvironment());
        if (options.MaxUploadBytes is { } max)
        {
            competition = competition.WithMaxUploadBytes(max);
        }

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

            // ASP.NET Core's handler base logs every challenge; a refused key is the client's business, not the host's.
            builder.Logging.AddFilter(typeof(TeamAuthenticationHandler).FullName, LogLevel.Warning);
        }

        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = competition.MaxUploadBytes + (1 << 20);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));

        var store = StateLocation.Open(state, options.Time);
        WebApplication app;
        try
        {
            await store.InitializeAsync(cancellationToken);
            var teams = await TeamAuthenticator.RegisterTeamsAsync(store, competition, options.Teams, cancellationToken);
            AddLeaderboard(builder.Services, options, competition, solution, store, new BlobStore(storage), teams);
            app = builder.Build();
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.MapKaggleApi();
        app.MapUploadsAndDownloads();
        app.MapLeaderboardPages();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.Services.GetRequiredService<ScoringService>().StopAsync(CancellationToken.None);
            await app.Services.GetRequiredService<UploadSweeper>().StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            await store.DisposeAsync();
            throw new EsteiraException(ErrorCode.Usage, $"cannot listen on {options.Urls} ({e.Message}); pick another port with --urls");
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("competition {Name}: {Rows} solution rows ({Public} public, {Private} private) loaded in {Seconds:0.0} s; state {State}; uploads in {Storage}",
            competition.Name, solution.Count, solution.PublicCount, solution.PrivateCount, loadTime.TotalSeconds, store.Location, storage);
        }

        var addresses = app.Urls.Select(u => new Uri(u.Replace("//[::]", "//localhost", StringComparison.Ordinal).Replace("//0.0.0.0", "//localhost", StringComparison.Ordinal))).ToList();
        return new LeaderboardServer(app, addresses, loadTime);
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening and scoring (what was being scored stays PENDING), then closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        var store = Store;
        await _app.StopAsync();

        // Scoring started by hand (ScoringEnabled false) is no hosted service; its workers must end before the store closes.
        await Scoring.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await store.DisposeAsync();
    }

    private static void AddLeaderboard(IServiceCollection services, LeaderboardServerOptions options, CompetitionDefinition competition, ReferenceRows solution,
        ILeaderboardStore store, BlobStore blobs, IReadOnlyList<TeamRecord> teams)
    {
        services.AddSingleton(options.Time);
        services.AddSingleton(competition);
        services.AddSingleton(solution);
        services.AddSingleton(store);
        services.AddSingleton(blobs);
        services.AddSingleton(new TeamAuthenticator(competition, teams, options.Time));
        services.AddSingleton(new PublicBaseUrl(options.PublicUrl));
        services.AddSingleton<CompetitionCatalog>();
        services.AddSingleton<DataLinks>();
        services.AddSingleton<SubmissionService>();
        services.AddSingleton<Standings>();
        services.AddSingleton<ScoringService>();
        services.AddSingleton<UploadSweeper>();
        if (options.ScoringEnabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<ScoringService>());
            services.AddHostedService(sp => sp.GetRequiredService<UploadSweeper>());
        }

        // Only the Kaggle API asks for team credentials. ASP.NET Core would make a lone scheme the default and authenticate
        // every request with it, so a wrong header sent to a page or an upload URL would count as a failed login.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, TeamAuthenticationHandler>(TeamAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
    }
}
