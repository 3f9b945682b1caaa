using Microsoft.Playwright;
using Xunit;

namespace Esteira.Leaderboard.Tests;

/// <summary>The leaderboard server's pages in Debian's Chromium: the ranking people see, and what they must not see yet.</summary>
[Trait("Needs", "browser")]
public sealed class LeaderboardPagesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static async Task<List<string>> TeamsAsync(IPage page, string table) => [.. await page.Locator($"#{table} tbody td.team").AllInnerTextsAsync()];

    [Fact]
    public async Task The_board_ranks_teams_by_public_score_hides_private_scores_until_the_reveal_then_ranks_by_them()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "title: Tiny energy\ndeadline: 2026-07-01T00:00:00Z\nprivate_reveal: 2026-07-02T00:00:00Z\n");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 12, 0, 0, TimeSpan.Zero));
        await using var server = await TestServers.StartAsync(comp.Dir, time);
        using var alice = TestServers.Client(server);
        using var bob = TestServers.Client(server, "bob", "hunter2");
        var a = _temp.Combine("a.csv");
        var b = _temp.Combine("b.csv");

        // alice is better on the public half, bob on the private half; no two of the four scores are equal.
        comp.WriteSubmission(a, (i, y) => i < comp.PublicRows ? y * 1.1f : y * 2);
        comp.WriteSubmission(b, (i, y) => i < comp.PublicRows ? y * 1.5f : y * 1.05f);
        var sa = await alice.SubmitAsync("tiny-comp", a, "a");
        var sb = await bob.SubmitAsync("tiny-comp", b, "b");

        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        Assert.Equal(200, (await page.GotoAsync(server.Addresses[0] + "leaderboard"))!.Status);
        Assert.Equal(["alice", "bob"], await TeamsAsync(page, "public"));
        Assert.Equal([sa.PublicScore!, sb.PublicScore!], await page.Locator("#public tbody td.score").AllInnerTextsAsync());
        Assert.Equal(0, await page.Locator("#private").CountAsync());
        Assert.True(await page.IsVisibleAsync("#private-hidden"));
        var text = await page.ContentAsync();
        await browser.ScreenshotAsync("leaderboard-public");

        // After the reveal the private score ranks the board: bob first; the page before it showed no private score.
        time.SetUtcNow(new DateTimeOffset(2026, 7, 2, 0, 0, 1, TimeSpan.Zero));
        var privateA = (await alice.GetSubmissionAsync(sa.Ref)).PrivateScore!;
        var privateB = (await bob.GetSubmissionAsync(sb.Ref)).PrivateScore!;
        Assert.Equal(4, new[] { sa.PublicScore, sb.PublicScore, privateA, privateB }.Distinct().Count());
        Assert.DoesNotContain(privateA, text, StringComparison.Ordinal);
        Assert.DoesNotContain(privateB, text, StringComparison.Ordinal);
        await page.ReloadAsync();
        Assert.Equal(["bob", "alice"], await TeamsAsync(page, "private"));
        Assert.Equal([privateB, privateA], await page.Locator("#private tbody td.score").AllInnerTextsAsync());
        Assert.Equal(["alice", "bob"], await TeamsAsync(page, "public"));
        Assert.Equal(0, await page.Locator("#private-hidden").CountAsync());
        await browser.ScreenshotAsync("leaderboard-private");
        browser.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_team_logged_in_with_its_key_sees_its_own_submissions_only()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var alice = TestServers.Client(server);
        using var bob = TestServers.Client(server, "bob", "hunter2");
        var file = _temp.Combine("s.csv");
        comp.WriteSubmission(file, (i, y) => y * 1.2f);
        var mine = await alice.SubmitAsync("tiny-comp", file, "alice's first");
        await bob.SubmitAsync("tiny-comp", file, "bob's secret idea");

        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        var root = server.Addresses[0].ToString();
        await page.GotoAsync(root + "my-submissions");
        await page.WaitForURLAsync(root + "login");

        await page.FillAsync("input[name=team]", "alice");
        await page.FillAsync("input[name=key]", "wrong");
        await page.ClickAsync("button[type=submit]");
        Assert.Contains("wrong key", await page.InnerTextAsync("#login-problem"), StringComparison.Ordinal);

        await page.FillAsync("input[name=team]", "alice");
        await page.FillAsync("input[name=key]", "s3cret");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(root + "my-submissions");
        Assert.Equal(["alice's first"], await page.Locator("#mine tbody td.description").AllInnerTextsAsync());
        Assert.Equal(mine.PublicScore, (await page.InnerTextAsync("#mine tbody tr")).Split('\t')[5]);
        Assert.DoesNotContain("bob's secret idea", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", await page.ContentAsync(), StringComparison.Ordinal);

        // A forged cookie (another team's name under alice's signature) is refused.
        var cookie = (await browser.Context.CookiesAsync()).Single(c => c.Name == "esteira_lb_session");
        var parts = cookie.Value.Split('.');
        var forged = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("bob")) + "." + parts[1] + "." + parts[2];
        await browser.Context.ClearCookiesAsync();
        await browser.Context.AddCookiesAsync([new Cookie { Name = cookie.Name, Value = forged, Domain = cookie.Domain, Path = "/" }]);
        await page.GotoAsync(root + "my-submissions");
        await page.WaitForURLAsync(root + "login");

        await browser.ScreenshotAsync("leaderboard-login");
        browser.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_competition_page_shows_the_rules_and_its_file_links_download()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "daily_limit: 3\n");
        await using var server = await TestServers.StartAsync(comp.Dir);
        await using var browser = await Browser.StartAsync();
        var page = browser.Page;
        await page.GotoAsync(server.Addresses[0].ToString());
        await page.ClickAsync("header a[href='/competition']");
        await page.WaitForURLAsync(server.Addresses[0] + "competition");
        Assert.Equal("3", await page.InnerTextAsync("#rules tr:has(th:text-is('submissions a day')) td"));
        var names = await page.Locator("#files tbody td a").AllInnerTextsAsync();
        Assert.Contains("test.csv", names);
        Assert.DoesNotContain(names, n => n.StartsWith("solution", StringComparison.Ordinal));

        var href = await page.Locator("#files a", new PageLocatorOptions { HasText = "test.csv" }).GetAttributeAsync("href");
        var download = await page.APIRequest.GetAsync(new Uri(server.Addresses[0], href).ToString());
        Assert.Equal(200, download.Status);
        Assert.Equal(File.ReadAllText(Path.Combine(comp.Dir, "test.csv")), await download.TextAsync());
        await browser.ScreenshotAsync("leaderboard-competition");
        browser.AssertNoConsoleErrors();
    }
}
