using System.Net;
using System.Security.Cryptography;
using System.Text;
using Esteira.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Esteira.Reporting.Ui;

/// <summary>What <c>esteira ui</c> was given.</summary>
public sealed record UiOptions
{
    /// <summary>The tracking store to show (read only).</summary>
    public required ITrackingStore Store { get; init; }

    /// <summary>Where relative artifact paths (notebooks, command logs) are resolved: the workspace root.</summary>
    public required string WorkspaceRoot { get; init; }

    /// <summary>Where to listen (several separated by <c>;</c>); port 0 picks a free port.</summary>
    public string Urls { get; init; } = DefaultUrls;

    /// <summary>Required on every request when set (<c>?token=</c> once sets a cookie, or <c>Authorization: Bearer</c>);
    /// a non-loopback <see cref="Urls"/> requires one.</summary>
    public string? Token { get; init; }

    /// <summary>The registered model whose <c>champion</c> alias is marked in the runs list; null marks none.</summary>
    public string? ChampionModel { get; init; }

    /// <summary>The metric shown as CV and sorted by (lower is better).</summary>
    public string Metric { get; init; } = "cv_rmsle";

    /// <summary>Runs per page.</summary>
    public int PageSize { get; init; } = 50;

    /// <summary>Logging setup; default: warnings only, on the console.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>The address the UI listens on by default: loopback only, port 5000.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5000";
}

/// <summary>The read-only web UI over a tracking store (Kestrel): runs, one run, compare, submissions. Dispose it to stop.</summary>
public sealed class UiServer : IAsyncDisposable
{
    /// <summary>The cookie that carries the token after the first <c>?token=</c> request.</summary>
    public const string TokenCookie = "esteira_ui_token";

    private readonly WebApplication _app;

    private UiServer(WebApplication app, IReadOnlyList<Uri> addresses)
    {
        _app = app;
        Addresses = addresses;
    }

    /// <summary>The bound addresses, with real ports.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    /// <summary>Checks the options (a non-loopback address needs a token), binds and starts serving.</summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.Usage"/> for a malformed or non-loopback address without a token,
    /// or an address that cannot be bound.</exception>
    public static async Task<UiServer> StartAsync(UiOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var urls = CheckUrls(options.Urls, options.Token);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (options.ConfigureLogging is { } configure)
        {
            configure(builder.Logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }

        builder.WebHost.UseUrls(string.Join(';', urls));
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();
        if (!string.IsNullOrEmpty(options.Token))
        {
            app.Use(RequireToken(options.Token));
        }

        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            context.Response.Headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
            await next(context);
        });
        UiPages.Map(app, options);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new EsteiraException(ErrorCode.Usage, $"cannot listen on {options.Urls} ({e.Message}); pick another port with --urls");
        }

        var addresses = app.Urls.Select(u => new Uri(u.Replace("//[::]", "//localhost", StringComparison.Ordinal).Replace("//0.0.0.0", "//localhost", StringComparison.Ordinal))).ToList();
        return new UiServer(app, addresses);
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the web host and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>True when every address of <paramref name="urls"/> is a loopback one (127.0.0.0/8, ::1, localhost).</summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.Usage"/> for an address that is not an http(s) URL.</exception>
    public static bool IsLoopback(string urls) => Parse(urls).All(u => IsLoopbackHost(u.Host));

    /// <summary>The addresses to bind; refuses a non-loopback one without a token.</summary>
    public static IReadOnlyList<string> CheckUrls(string urls, string? token)
    {
        var parsed = Parse(urls);
        var open = parsed.Where(u => !IsLoopbackHost(u.Host)).ToList();
        if (open.Count > 0 && string.IsNullOrEmpty(token))
        {
            throw new EsteiraException(ErrorCode.Usage,
                $"--urls {open[0].Original} is not a loopback address, so anyone on the network could read the runs; give --token SECRET (or set ESTEIRA_UI_TOKEN), or bind http://127.0.0.1:PORT");
        }

        return parsed.Select(u => u.Original).ToList();
    }

    private static List<(string Original, string Host)> Parse(string urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var list = new List<(string, string)>();
        foreach (var raw in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel's wildcards (*, +) are not valid URI hosts; they bind every interface.
            var probe = raw.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.AbsolutePath != "/" || uri.Query.Length > 0)
            {
                throw new EsteiraException(ErrorCode.Usage, $"--urls '{raw}' is not an address to listen on; give one like {UiOptions.DefaultUrls}");
            }

            list.Add((raw, uri.Host));
        }

        return list.Count > 0
            ? list
            : throw new EsteiraException(ErrorCode.Usage, $"--urls is empty; give an address like {UiOptions.DefaultUrls}");
    }

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        bool Matches(string? given) => given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
        return async (context, next) =>
        {
            if (context.Request.Path == "/favicon.ico")
            {
                // Browsers ask for it on their own, even for the 401 page; it holds nothing.
                await next(context);
                return;
            }

            var query = context.Request.Query["token"].ToString();
            if (query.Length > 0 && Matches(query))
            {
                // Once: the cookie carries it from now on, and the token leaves the address bar.
                context.Response.Cookies.Append(TokenCookie, token, new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/",
                });
                var rest = QueryString.Create(context.Request.Query.Where(q => q.Key != "token"));
                context.Response.Redirect(context.Request.PathBase + context.Request.Path + rest);
                return;
            }

            var bearer = context.Request.Headers.Authorization.ToString();
            if (Matches(context.Request.Cookies[TokenCookie])
                || (bearer.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(bearer["Bearer ".Length..])))
            {
                await next(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("this esteira ui needs its token: open the address with ?token=SECRET once (or send Authorization: Bearer SECRET)\n");
        };
    }
}
