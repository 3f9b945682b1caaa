using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Esteira.Tracking;
using Microsoft.Playwright;

namespace Esteira.Cli.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>A workspace with real runs (two experiments trained by <c>esteira run</c>, plus one still running) and
/// <c>esteira ui</c> serving it, shared by the browser tests.</summary>
public sealed class UiWorkspace : IAsyncLifetime
{
    private readonly TempDataset _dataset = new();
    private Process? _ui;

    public string Root { get; private set; } = "";

    public string Url { get; private set; } = "";

    /// <summary>The runs as the store has them, by id.</summary>
    public IReadOnlyDictionary<long, Run> Runs { get; private set; } = new Dictionary<long, Run>();

    /// <summary>Submissions recorded in the ledger: run, CV, public and private score.</summary>
    public static readonly (long Run, double Cv, double Public, double? Private)[] Ledger =
        [(1, 0.41, 0.52, null), (2, 0.38, 0.47, null), (1, 0.43, 0.55, 0.61)];

    /// <summary>The run left RUNNING (owned by this test process, so nothing marks it failed).</summary>
    public long LiveRun { get; private set; }

    public async Task InitializeAsync()
    {
        Root = TestWorkspace.Create(_dataset);
        Directory.CreateDirectory(Path.Combine(Root, "experiments", "wide"));
        File.WriteAllText(Path.Combine(Root, "experiments", "wide", "experiment.yaml"), "kind: lightgbm\nparams:\n  iterations: 25\n  leaves: 15\n");
        var run = Cli.Esteira(Root, "run");
        Assert.True(run.Exit == 0, run.Err);

        await using (var store = await TrackingStores.OpenAsync(null, Root))
        {
            LiveRun = await store.StartRunAsync(new NewRun { Experiment = "live", Params = new Dictionary<string, string> { ["iterations"] = "99" } });
            await store.LogAsync(LiveRun, new RunLog { Stages = [new StageDuration("features", 1.5)] });
            Runs = (await store.GetRunsAsync([1, 2, LiveRun])).ToDictionary(r => r.Id);

            // A plot beside run 1's model, drawn by the report's own plotting code, as a plot artifact would be.
            var folds = Runs[1].FoldMetrics("cv_rmsle").OrderBy(f => f.Key).Select(f => ($"fold {f.Key}", f.Value, (ScottPlot.Color?)null)).ToList();
            Esteira.Reporting.Report.ReportPlots.HorizontalBars(Path.Combine(Root, Runs[1].Artifacts["model"]), "fold-bars.png", "RMSLE per fold", "RMSLE", folds);

            // The ledger as deploys and the scorer leave it: run 1 sent twice (once scored privately too), run 2 once.
            for (var i = 0; i < Ledger.Length; i++)
            {
                var (ledgerRun, cv, pub, priv) = Ledger[i];
                await store.AddSubmissionAsync(new NewSubmission
                {
                    RunId = ledgerRun, FileSha256 = new string((char)('a' + i), 64), Target = "leaderboard:tiny", Status = SubmissionStatus.Complete,
                    CvScore = cv, PublicScore = pub, PrivateScore = priv,
                });
            }
        }

        (_ui, Url) = await StartUiAsync(Root);
    }

    /// <summary>Starts <c>esteira ui</c> on a free loopback port and waits until it answers.</summary>
    internal static async Task<(Process Process, string Url)> StartUiAsync(string root, params string[] extra)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var url = $"http://127.0.0.1:{port}";
        var process = Cli.Start(root, ["ui", "--urls", url, .. extra]);
        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"esteira ui exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var response = await http.GetAsync(url + "/static/esteira.css");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return (process, url);
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"esteira ui did not answer at {url} within 60 s");
            }

            await Task.Delay(200);
        }
    }

    public Task DisposeAsync()
    {
        if (_ui is { HasExited: false })
        {
            _ui.Kill(entireProcessTree: true);
            _ui.WaitForExit(10_000);
        }

        _ui?.Dispose();
        _dataset.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary><c>esteira ui</c> in Debian's Chromium: what a person sees, clicks and sorts.</summary>
[Trait("Needs", "browser")]
public sealed class UiBrowserTests(UiWorkspace ws) : IClassFixture<UiWorkspace>
{
    private static string Score(double? value) => value!.Value.ToString("0.0000", CultureInfo.InvariantCulture);

    private static async Task<List<string>> ColumnAsync(IPage page, string cell) =>
        [.. await page.Locator($"#runs tbody tr {cell}").AllInnerTextsAsync()];

    [Fact]
    public async Task The_runs_page_lists_every_run_newest_first_with_its_cv_and_the_champion()
    {
        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        var response = await page.GotoAsync(ws.Url + "/");
        Assert.Equal(200, response!.Status);

        var ids = (await page.Locator("#runs tbody tr").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.run))")).ToList();
        Assert.Equal([ws.LiveRun, 2, 1], ids);
        foreach (var id in new long[] { 1, 2 })
        {
            var row = page.Locator($"#runs tr[data-run=\"{id}\"]");
            Assert.Equal(Score(ws.Runs[id].Metric("cv_rmsle")), (await row.Locator("td.cv").InnerTextAsync()).Trim());
            Assert.Equal(ws.Runs[id].Experiment, await row.Locator("td.experiment").InnerTextAsync());
            Assert.Contains("passed", await row.InnerTextAsync(), StringComparison.Ordinal);
        }

        // One champion, and it is one of the gated runs.
        var champions = await page.Locator("#runs tbody tr:has(td.champion span)").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.run))");
        Assert.Single(champions);
        Assert.Contains(champions[0], new long[] { 1, 2 });

        // The quick filter hides the rows without the text.
        await page.FillAsync("#quick", "wide");
        Assert.Equal(1, await page.Locator("#runs tbody tr:visible").CountAsync());
        await page.FillAsync("#quick", "");

        // The header shows the store without any secret, and the page asked for nothing it could not load.
        Assert.Contains(".esteira/esteira.db", await page.InnerTextAsync("header .store"), StringComparison.Ordinal);
        await browser.ScreenshotAsync("runs");
        browser.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Clicking_a_header_sorts_the_runs_and_clicking_again_reverses_them()
    {
        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        await page.GotoAsync(ws.Url + "/");
        var before = await ColumnAsync(page, "td.experiment");
        Assert.Equal(["live", "wide", "baseline"], before);

        await page.ClickAsync("th[data-sort=experiment] a");
        await page.WaitForURLAsync(new Regex(@"\?sort=experiment&dir=asc"));
        Assert.Equal(["baseline", "live", "wide"], await ColumnAsync(page, "td.experiment"));

        await page.ClickAsync("th[data-sort=experiment] a");
        await page.WaitForURLAsync(new Regex(@"\?sort=experiment&dir=desc"));
        Assert.Equal(["wide", "live", "baseline"], await ColumnAsync(page, "td.experiment"));

        // By CV, lowest first; the running run has none and comes last.
        await page.ClickAsync("th[data-sort=cv] a");
        await page.WaitForURLAsync(new Regex(@"\?sort=cv&dir=asc"));
        var cvs = await ColumnAsync(page, "td.cv");
        var expected = ws.Runs.Values.Where(r => r.Metric("cv_rmsle") is not null).OrderBy(r => r.Metric("cv_rmsle")).Select(r => Score(r.Metric("cv_rmsle"))).Append("—");
        Assert.Equal(expected, cvs);

        // Filtering by experiment is done by the store, and keeps the sort.
        await page.FillAsync("input[name=experiment]", "wide");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(new Regex(@"experiment=wide"));
        Assert.Equal(["wide"], await ColumnAsync(page, "td.experiment"));
        await browser.ScreenshotAsync("sorted");
        browser.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_run_page_shows_its_params_folds_plot_gate_and_artifacts()
    {
        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        await page.GotoAsync(ws.Url + "/");
        await page.ClickAsync("#runs tr[data-run=\"1\"] a[href=\"/runs/1\"]");
        await page.WaitForURLAsync(new Regex(@"runs/1"));

        var run = ws.Runs[1];
        Assert.Equal("20", await page.InnerTextAsync("#params tr:has(th:text-is('params.iterations')) td"));
        var folds = run.FoldMetrics("cv_rmsle");
        Assert.Equal(2, folds.Count);
        var rows = await page.Locator("#folds tbody tr").AllInnerTextsAsync();
        Assert.Equal(folds.OrderBy(f => f.Key).Select(f => $"{f.Key}\t{Score(f.Value)}"), rows.Select(r => r.Trim()));

        // The per-fold chart is drawn (one bar per fold, with a real size), not just present in the markup.
        var chart = page.Locator("svg#fold-chart");
        Assert.Equal(2, await chart.Locator("rect.bar").CountAsync());
        var box = await chart.BoundingBoxAsync();
        Assert.True(box is { Width: > 100, Height: > 100 }, $"chart box {box?.Width}x{box?.Height}");
        var heights = await chart.Locator("rect.bar").EvaluateAllAsync<double[]>("bars => bars.map(b => b.getBBox().height)");
        Assert.All(heights, h => Assert.True(h > 1));
        Assert.Equal(folds.OrderBy(f => f.Key).Select(f => f.Value).Max() == folds[1], heights[0] >= heights[1]);

        // A PNG plot among the run's artifacts is shown and really loads.
        var image = page.Locator("img.plot[alt='model/fold-bars.png']");
        Assert.True(await image.EvaluateAsync<int>("i => i.complete ? i.naturalWidth : 0") > 100);

        // The gate's verdict with its conditions, the lineage, and the recorded artifacts that can be opened.
        Assert.Contains("passed", await page.InnerTextAsync("#gate"), StringComparison.Ordinal);
        Assert.True(await page.Locator("#gate-conditions tbody tr").CountAsync() > 0);
        Assert.Contains(run.Lineage.DatasetHash!, await page.InnerTextAsync("#lineage"), StringComparison.Ordinal);
        var modelLink = page.Locator("#artifacts a", new PageLocatorOptions { HasText = "model.txt" });
        var href = await modelLink.GetAttributeAsync("href");
        var file = await page.APIRequest.GetAsync(ws.Url + href);
        Assert.Equal(200, file.Status);
        Assert.Contains("tree", await file.TextAsync(), StringComparison.Ordinal);

        await browser.ScreenshotAsync("run");
        browser.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Comparing_two_picked_runs_shows_only_the_params_that_differ_and_the_metric_delta()
    {
        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        await page.GotoAsync(ws.Url + "/");
        Assert.True(await page.IsDisabledAsync("#compare"));
        await page.CheckAsync("#runs input.pick[value=\"1\"]");
        await page.CheckAsync("#runs input.pick[value=\"2\"]");
        Assert.True(await page.IsEnabledAsync("#compare"));
        await page.ClickAsync("#compare");
        await page.WaitForURLAsync(new Regex(@"compare\?ids=2,1"));

        var diff = page.Locator("#param-diff");
        Assert.Equal(["25", "20"], await diff.Locator("tr:has(th:text-is('params.iterations')) td").AllInnerTextsAsync());
        Assert.Equal(0, await diff.Locator("th:text-is('params.leaves')").CountAsync());
        var delta = ws.Runs[1].Metric("cv_rmsle")!.Value - ws.Runs[2].Metric("cv_rmsle")!.Value;
        Assert.Contains(delta.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture),
            await page.InnerTextAsync("#metric-diff tr:has(th:text-is('cv_rmsle'))"), StringComparison.Ordinal);
        Assert.Equal(4, await page.Locator("svg#fold-overlay rect.bar").CountAsync());

        // The report's segment view: per building, both runs' out-of-fold RMSLE on the same rows, largest change first.
        var series = page.Locator("#series-diff-1 tbody tr");
        Assert.InRange(await series.CountAsync(), 1, 10);
        var cells = await series.First.Locator("td").AllInnerTextsAsync();
        var change = double.Parse(cells[4], CultureInfo.InvariantCulture);
        var expected = double.Parse(cells[3], CultureInfo.InvariantCulture) - double.Parse(cells[2], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(expected - change) <= 0.00011, $"Δ {change} but the columns differ by {expected}");
        await browser.ScreenshotAsync("compare");
        browser.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_running_run_shows_as_running_and_the_page_updates_itself_when_it_ends()
    {
        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        await page.GotoAsync(ws.Url + "/");
        var badge = page.Locator($"#runs tr[data-run=\"{ws.LiveRun}\"] .badge");
        Assert.Equal("running", await badge.InnerTextAsync());
        Assert.Contains("after features", await page.InnerTextAsync($"#runs tr[data-run=\"{ws.LiveRun}\"]"), StringComparison.Ordinal);

        await using (var store = await TrackingStores.OpenAsync(null, ws.Root))
        {
            Assert.True(await store.FinishRunAsync(ws.LiveRun, RunStatus.Failed, "stopped by the test"));
        }

        // No reload: the page polls /api/runs.
        await page.WaitForFunctionAsync($"() => document.querySelector('#runs tr[data-run=\"{ws.LiveRun}\"] .badge').textContent === 'failed'",
            null, new PageWaitForFunctionOptions { Timeout = 20_000 });
        browser.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_submissions_page_shows_the_ledger_with_cv_beside_public_and_their_scatter()
    {
        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        await page.GotoAsync(ws.Url + "/");
        await page.ClickAsync("header nav a[href='/submissions']");
        await page.WaitForURLAsync(new Regex(@"/submissions$"));

        // Newest first, each with its run, CV and public score.
        var rows = await page.Locator("#submissions tbody tr").AllInnerTextsAsync();
        Assert.Equal(UiWorkspace.Ledger.Length, rows.Count);
        var expected = Enumerable.Reverse(UiWorkspace.Ledger).ToList();
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Contains($"run {expected[i].Run}", rows[i], StringComparison.Ordinal);
            Assert.Contains($"{Score(expected[i].Cv)}\t{Score(expected[i].Public)}\t{(expected[i].Private is { } p ? Score(p) : "—")}", rows[i], StringComparison.Ordinal);
        }

        Assert.Equal(UiWorkspace.Ledger.Length, await page.Locator("svg#cv-public circle.point").CountAsync());
        var r = Pearson(UiWorkspace.Ledger.Select(l => (l.Cv, l.Public)).ToList());
        Assert.Contains($"r = {r.ToString("0.000", CultureInfo.InvariantCulture)}", await page.InnerTextAsync("#correlation"), StringComparison.Ordinal);
        await browser.ScreenshotAsync("submissions");

        // A run's page lists its own submissions only.
        await page.ClickAsync("#submissions tbody tr:first-child a[href='/runs/1']");
        await page.WaitForURLAsync(new Regex(@"/runs/1$"));
        Assert.Equal(2, await page.Locator("#run-submissions tbody tr").CountAsync());
        browser.AssertNoConsoleErrors();
    }

    private static double Pearson(List<(double X, double Y)> points)
    {
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        var sxy = points.Sum(p => (p.X - mx) * (p.Y - my));
        return sxy / Math.Sqrt(points.Sum(p => (p.X - mx) * (p.X - mx)) * points.Sum(p => (p.Y - my) * (p.Y - my)));
    }

    [Fact]
    public async Task A_token_is_required_and_a_first_visit_with_it_sets_a_cookie()
    {
        var (ui, url) = await UiWorkspace.StartUiAsync(ws.Root, "--token", "s3cret-token");
        try
        {
            await using var browser = await Browser.StartAsync();
            var page = browser.Page;
            Assert.Equal(401, (await page.GotoAsync(url + "/"))!.Status);
            browser.Errors.Clear(); // Chromium reports the 401 itself

            var response = await page.GotoAsync(url + "/runs/2?token=s3cret-token");
            Assert.Equal(200, response!.Status);
            Assert.EndsWith("/runs/2", page.Url, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret-token", await page.ContentAsync(), StringComparison.Ordinal);
            Assert.Equal(200, (await page.GotoAsync(url + "/"))!.Status);
            Assert.Equal(3, await page.Locator("#runs tbody tr").CountAsync());
            browser.AssertNoConsoleErrors();
        }
        finally
        {
            ui.Kill(entireProcessTree: true);
            ui.WaitForExit(10_000);
            ui.Dispose();
        }
    }
}

/// <summary><c>esteira ui</c>'s refusals: one line, exit 2, before anything listens.</summary>
public sealed class UiCommandTests
{
    [Fact]
    public void A_non_loopback_address_without_a_token_is_refused()
    {
        var home = Directory.CreateTempSubdirectory("esteira-ui-").FullName;
        try
        {
            var (exit, _, err) = Cli.Esteira(home, "ui", "--urls", "http://0.0.0.0:5099", "--tracking", "sqlite:x.db");
            Assert.Equal(2, exit);
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains("--token", err, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(home, "x.db")));

            var outside = Cli.Esteira(home, "ui");
            Assert.Equal(2, outside.Exit);
            Assert.Contains("not in a workspace", outside.Err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://127.0.0.1:5000;http://0.0.0.0:5000", false)]
    [InlineData("http://*:5000", false)]
    [InlineData("http://+:5000", false)]
    [InlineData("http://192.168.1.10:5000", false)]
    public void Loopback_addresses_are_told_apart(string urls, bool loopback) =>
        Assert.Equal(loopback, Esteira.Reporting.Ui.UiServer.IsLoopback(urls));
}
