using Microsoft.Playwright;

namespace Esteira.Testing;

/// <summary>Debian's Chromium driven by Playwright (the system browser, never a downloaded one). Every console message of
/// type error and every page error is collected, so a test can assert that a page raised none.</summary>
public sealed class Browser : IAsyncDisposable
{
    /// <summary>Overrides the browser's path (default <c>/usr/bin/chromium</c>; <c>.ci/services.sh</c> installs it).</summary>
    public const string PathVariable = "ESTEIRA_TEST_CHROMIUM";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (Errors)
                {
                    Errors.Add($"{message.Location}: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (Errors)
            {
                Errors.Add("page error: " + error);
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Console errors and uncaught page errors seen so far.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Starts headless Chromium; fails (never skips) when the browser is missing.</summary>
    public static async Task<Browser> StartAsync()
    {
        var path = Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } set ? set : "/usr/bin/chromium";
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Chromium is not at {path}: run 'source .ci/services.sh' (it installs Debian's chromium) or set {PathVariable}");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = path, Headless = true });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        return new Browser(playwright, browser, context, page);
    }

    /// <summary>Saves a full-page screenshot as TestResults/ui-NAME.png beside the test assembly.</summary>
    public async Task ScreenshotAsync(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(folder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"ui-{name}.png"), FullPage = true });
    }

    /// <summary>Fails with every console error seen, when there was one.</summary>
    public void AssertNoConsoleErrors()
    {
        lock (Errors)
        {
            Xunit.Assert.True(Errors.Count == 0, "console errors:\n" + string.Join("\n", Errors));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
